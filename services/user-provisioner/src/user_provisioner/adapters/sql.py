"""Portable (PostgreSQL and SQLite) insert-or-ignore and upsert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection


def _insert(conn: AsyncConnection, table: Table) -> Any:
    return postgresql_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)


async def insert_ignore(conn: AsyncConnection, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert `values` unless the primary key exists; True when a row was inserted."""
    result = await conn.execute(_insert(conn, table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


async def upsert(conn: AsyncConnection, table: Table, values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Insert `values`, or update the non-key columns of the row with the same `keys`."""
    statement = _insert(conn, table).values(**values)
    updates = {column: statement.excluded[column] for column in values if column not in keys}
    await conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates))
