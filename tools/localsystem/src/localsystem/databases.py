"""One PostgreSQL database per service on the server of DATABASE_URL, created when missing (and
dropped by `make reset`)."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url


def _admin_dsn(server_url: str) -> str:
    url = make_url(server_url).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


def service_database_url(server_url: str, database: str) -> str:
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


async def ensure_databases(server_url: str, names: list[str]) -> None:
    """Create each named database unless it exists (local runs keep their data between runs)."""
    connection = await asyncpg.connect(_admin_dsn(server_url))
    try:
        existing = {row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_databases(server_url: str, names: list[str]) -> list[str]:
    """Drop each named database that exists; returns the names dropped."""
    connection = await asyncpg.connect(_admin_dsn(server_url))
    try:
        existing = {row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")}
        dropped = [name for name in names if name in existing]
        for name in dropped:
            await connection.execute(f'DROP DATABASE "{name}"')
        return dropped
    finally:
        await connection.close()


def database_name(service_name: str, suffix: str = "") -> str:
    return "oncall_" + service_name.replace("-", "_") + suffix
