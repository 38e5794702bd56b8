"""Connections are not pinged on checkout: after the database drops them, one statement fails and
the pool is renewed, so the retry (every consumer and worker retries) finds a live connection."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from oncall_platform.database import make_async_engine
from oncall_testing.databases import drop_connections

pytestmark = pytest.mark.integration


async def test_a_dropped_pool_costs_one_failed_statement_then_every_connection_is_new(
    database_url: str,
) -> None:
    engine = make_async_engine(database_url)
    try:
        async with engine.connect() as first, engine.connect() as second:  # two pooled connections
            await first.execute(text("SELECT 1"))
            await second.execute(text("SELECT 1"))
        assert await drop_connections(database_url) >= 2

        with pytest.raises(DBAPIError) as lost:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        assert lost.value.connection_invalidated

        for _ in range(3):  # the other dead connection is never handed out again
            async with engine.connect() as connection:
                assert (await connection.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()
