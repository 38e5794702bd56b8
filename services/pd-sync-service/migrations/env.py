"""Alembic environment: runs migrations on the async engine given in the config's sqlalchemy.url."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from oncall_platform.database import make_async_engine
from pd_sync_service.adapters.orm import SQLModel

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    engine = make_async_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_main())
