"""The async SQLAlchemy engine factory (one place that turns a DATABASE_URL into an engine) and the
portable (PostgreSQL and SQLite) insert-or-ignore and upsert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def async_database_url(url: str) -> str:
    """`postgresql://` and `sqlite://` URLs with their async drivers; explicit drivers are kept."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def make_async_engine(url: str, **options: Any) -> AsyncEngine:
    """An engine for `url`; SQLite gets a busy timeout so concurrent writers wait instead of failing.

    PostgreSQL connections are not pinged on checkout: asyncpg's ping is three round trips per
    checkout (a quarter to a third of a change's round trips to the database). After a database
    restart the first statement on a dead connection fails, and SQLAlchemy then renews the whole
    pool, so each process sees one failed transaction, which consumers and workers retry (an API
    request answers 503 once)."""
    async_url = async_database_url(url)
    if async_url.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
    elif "poolclass" not in options:  # pool sizes only apply to the default queue pool
        options.setdefault("pool_recycle", 1800)  # before idle-connection timeouts of proxies
        options.setdefault("pool_size", 5)
        options.setdefault("max_overflow", 5)
    return create_async_engine(async_url, **options)


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    """`INSERT` with the dialect's `ON CONFLICT` clauses (PostgreSQL's, else SQLite's)."""
    return postgresql_insert(table) if conn.dialect.name == "postgresql" else sqlite_insert(table)


def insert_or_ignore(conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> Any:
    """The statement inserting `rows` except those whose key exists (add `.returning(...)` to learn
    which were inserted)."""
    return dialect_insert(conn, table).values(list(rows)).on_conflict_do_nothing()


async def insert_ignore(conn: AsyncConnection, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert `values` unless the primary key exists; True when a row was inserted."""
    result = await conn.execute(insert_or_ignore(conn, table, [values]))
    return bool(result.rowcount)


async def upsert(conn: AsyncConnection, table: Table, values: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Insert `values`, or update the non-key columns of the row with the same `keys`."""
    statement = dialect_insert(conn, table).values(**values)
    updates = {column: statement.excluded[column] for column in values if column not in keys}
    await conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=updates))
