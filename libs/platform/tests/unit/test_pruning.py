"""`delete_older_than` on SQLite (no `SKIP LOCKED` there): a composite key, batches, the cutoff kept.
PostgreSQL: the inbox pruning's and pd-sync's shift retention's integration tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select

from oncall_platform.database import make_async_engine
from oncall_platform.pruning import delete_older_than

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ROWS = Table(
    "rows",
    MetaData(),
    Column("owner", String(10), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
)


async def test_rows_before_the_cutoff_are_deleted_a_batch_at_a_time() -> None:
    engine = make_async_engine("sqlite+aiosqlite:///:memory:")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(ROWS.create)
            await connection.execute(
                ROWS.insert(),
                [{"owner": "a", "number": n, "at": NOW - timedelta(days=n)} for n in range(10)]
                + [{"owner": "b", "number": n, "at": NOW - timedelta(days=9)} for n in range(4)],
            )

        assert await delete_older_than(engine, ROWS.c.at, NOW - timedelta(days=5), batch_size=3) == 8
        async with engine.connect() as connection:
            kept = (await connection.execute(select(ROWS.c.owner, func.count()).group_by(ROWS.c.owner))).all()
        assert [tuple(row) for row in kept] == [("a", 6)]  # 0..5 days old: the cutoff itself is kept
        assert await delete_older_than(engine, ROWS.c.at, NOW - timedelta(days=5), batch_size=3) == 0
        with pytest.raises(ValueError, match="batch_size"):
            await delete_older_than(engine, ROWS.c.at, NOW, batch_size=0)
    finally:
        await engine.dispose()
