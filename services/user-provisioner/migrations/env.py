"""Alembic environment: async engines (asyncpg / aiosqlite) via oncall_platform.database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from oncall_platform.database import make_async_engine
from user_provisioner.adapters import tables  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
TABLES = {"memberships", "rotation_accounts", "pending_users", "provisioned_users", "processed_events"}


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return type_ != "table" or name in TABLES


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, include_object=_include)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = make_async_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
