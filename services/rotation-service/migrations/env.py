"""Alembic environment of the rotation service (async engines; run through `rotation-service migrate`)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from oncall_platform.database import async_database_url
from oncall_platform.inbox import ProcessedEvent
from rotation_service.adapters.tables import metadata as service_metadata


def _target_metadata() -> MetaData:
    combined = MetaData()
    for table in service_metadata.tables.values():
        table.to_metadata(combined)
    ProcessedEvent.__table__.to_metadata(combined)  # type: ignore[attr-defined]
    return combined


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=_target_metadata(), render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str) -> None:
    # NullPool: a one-off connection (make_async_engine's pool options do not apply to it).
    engine = create_async_engine(async_database_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(_run_online(context.config.get_main_option("sqlalchemy.url") or ""))
