"""A fresh PostgreSQL database per test, created on the shared server and dropped afterwards."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy import MetaData, String
from sqlalchemy.engine import URL, make_url
from sqlalchemy.types import TypeEngine


def _admin_dsn(server_url: str | URL) -> str:
    url = make_url(server_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def create_database(server_url: str) -> str:
    """Create an empty database on the server of `server_url`; return its URL."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    connection = await asyncpg.connect(_admin_dsn(server_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(database_url: str) -> None:
    name = make_url(database_url).database
    connection = await asyncpg.connect(_admin_dsn(make_url(database_url).set(database="postgres")))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def drop_connections(database_url: str) -> int:
    """End every server session of the database (what a PostgreSQL restart does to a client's pool);
    returns how many were ended."""
    name = make_url(database_url).database
    connection = await asyncpg.connect(_admin_dsn(make_url(database_url).set(database="postgres")))
    try:
        ended = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await connection.close()
    return len(ended)


async def text_column_lengths(database_url: str) -> dict[str, int | None]:
    """``"table.column"`` -> maximum length (None: unbounded) of every text column of the database."""
    connection = await asyncpg.connect(_admin_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name, character_maximum_length FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type IN ('character varying', 'character', 'text')"
        )
    finally:
        await connection.close()
    return {f"{row['table_name']}.{row['column_name']}": row["character_maximum_length"] for row in rows}


def declared_text_lengths(metadata: MetaData) -> dict[str, int | None]:
    """``"table.column"`` -> the length the tables declare for each text column."""
    return {
        f"{table.name}.{column.name}": getattr(column.type, "length", None)
        for table in metadata.tables.values()
        for column in table.columns
        if isinstance(_underlying(column.type), String)
    }


def _underlying(column_type: TypeEngine[object]) -> TypeEngine[object]:
    impl = getattr(column_type, "impl_instance", None)  # a TypeDecorator's own type, e.g. AutoString
    return impl if isinstance(impl, TypeEngine) else column_type
