"""Shifts that ended longer than the retention ago are deleted on PostgreSQL, in batches through the
index on `end`; recent, running and future ones stay. `serve` runs the pruning on the sync's
PagerDuty clock, not the wall clock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_platform.database import make_async_engine
from oncall_testing.eventually import eventually
from pd_sync_service.adapters.shift_retention import SHIFTS, ShiftPruner, ShiftRetention
from pd_sync_service.app import background
from pd_sync_service.bootstrap import bootstrap
from pd_sync_service.migrate import SCHEMA
from pd_sync_service.settings import PdSyncSettings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 20, 10, tzinfo=UTC)  # months before the wall clock: the sync's clock decides
KEEP = timedelta(days=90)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await SCHEMA.upgrade_async(database_url)
    engine = make_async_engine(database_url)
    yield engine
    await engine.dispose()


async def add_shifts(engine: AsyncEngine, rotation_id: str, count: int, end: datetime) -> None:
    rows = [
        {
            "rotation_id": rotation_id,
            "shift_id": uuid.uuid4().hex,
            "revision": 1,
            "start": end - timedelta(days=7),
            "end": end,
            "primary_email": "ann@example.com",
            "backup_email": None,
            "cancelled": False,
        }
        for _ in range(count)
    ]
    async with engine.begin() as connection:
        await connection.execute(SHIFTS.insert(), rows)


async def shift_counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(SHIFTS.c.rotation_id, func.count()).group_by(SHIFTS.c.rotation_id).order_by("rotation_id")
        )
        return {str(rotation_id): int(count) for rotation_id, count in rows}


async def test_shifts_ended_before_the_retention_are_deleted_in_batches(engine: AsyncEngine) -> None:
    cutoff = NOW - KEEP
    await add_shifts(engine, "old", 5, cutoff - timedelta(seconds=1))
    await add_shifts(engine, "mixed", 2, cutoff - timedelta(days=300))
    await add_shifts(engine, "mixed", 1, cutoff)  # ended exactly at the cutoff: kept
    await add_shifts(engine, "mixed", 1, NOW - timedelta(days=10))  # recent past
    await add_shifts(engine, "mixed", 1, NOW + timedelta(days=3))  # in progress (started 4 days ago)
    await add_shifts(engine, "mixed", 2, NOW + timedelta(days=60))  # future
    pruner = ShiftPruner(engine, ShiftRetention(keep=KEEP, batch_size=3), clock=lambda: NOW)

    assert await pruner.prune() == 7  # more than two batches: 3, 3 and 1
    assert await shift_counts(engine) == {"mixed": 5}
    assert await pruner.prune() == 0


async def test_the_migrations_index_the_end_of_shifts(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        definition = await connection.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE tablename = 'shifts' AND indexname = 'ix_shifts_end'")
        )
    assert definition is not None
    assert definition.endswith('("end")')


async def test_the_service_prunes_shifts_on_its_pagerduty_clock(
    engine: AsyncEngine, database_url: str, kafka_bootstrap_servers: str
) -> None:
    await add_shifts(engine, "r", 3, NOW - KEEP - timedelta(days=1))
    await add_shifts(engine, "r", 1, NOW - timedelta(days=10))  # over 90 days before the wall clock
    settings = PdSyncSettings(
        environment="development",
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        database_url=database_url,
        shift_retention_days=KEEP.days,
        shift_prune_interval_seconds=3600,
    )
    service = bootstrap(settings, pagerduty_clock=lambda: NOW)
    stop = asyncio.Event()
    # A KeyError here: `serve` would not run the shift retention.
    pruning = asyncio.ensure_future(background(service)["shift retention"](stop))
    try:
        await eventually(lambda: _counted(engine, {"r": 1}), within=10, what="the old shifts pruned")
    finally:
        stop.set()
        await asyncio.wait_for(pruning, 5)  # the interval's wait ends at the stop
        await service.pagerduty_clients.aclose()
        await service.engine.dispose()


async def _counted(engine: AsyncEngine, expected: dict[str, int]) -> bool:
    return await shift_counts(engine) == expected
