"""The inbox forgets event ids older than the redelivery window: in batches, and in every served
service with a database (the lifecycle runs the pruning)."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_contracts import Topics
from oncall_platform import lifecycle
from oncall_platform.database import make_async_engine
from oncall_platform.inbox_pruning import INBOX, InboxPruner, InboxRetention
from oncall_platform.settings import ServiceSettings
from oncall_testing.eventually import eventually
from oncall_testing.kafka import delete_topics

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(INBOX.create)
    yield engine
    await engine.dispose()


async def add_entries(engine: AsyncEngine, consumer: str, count: int, processed_at: datetime) -> None:
    rows = [
        {"consumer": consumer, "event_id": uuid.uuid4(), "processed_at": processed_at} for _ in range(count)
    ]
    async with engine.begin() as connection:
        await connection.execute(INBOX.insert(), rows)


async def entries(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(INBOX.c.consumer, func.count()).group_by(INBOX.c.consumer).order_by(INBOX.c.consumer)
        )
        return {str(consumer): int(count) for consumer, count in rows}


async def test_entries_older_than_the_window_are_deleted_in_batches(engine: AsyncEngine) -> None:
    window = timedelta(days=7)
    await add_entries(engine, "pd-sync-service", 7, NOW - window - timedelta(seconds=1))
    await add_entries(engine, "user-provisioner", 3, NOW - window - timedelta(days=30))
    await add_entries(engine, "pd-sync-service", 2, NOW - window + timedelta(seconds=1))  # within it
    pruner = InboxPruner(engine, InboxRetention(window=window, batch_size=3), clock=lambda: NOW)

    assert await pruner.prune() == 10  # four batches: 3, 3, 3 and 1
    assert await entries(engine) == {"pd-sync-service": 2}
    assert await pruner.prune() == 0


async def test_a_served_service_prunes_its_inbox(
    engine: AsyncEngine, database_url: str, kafka_bootstrap_servers: str
) -> None:
    await add_entries(engine, "rotation-service", 2, datetime.now(UTC) - timedelta(days=2))
    await add_entries(engine, "rotation-service", 1, datetime.now(UTC))
    settings = ServiceSettings(
        environment="development",
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        kafka_topic_prefix=f"t{uuid.uuid4().hex[:12]}.",
        database_url=database_url,
        inbox_redelivery_window_days=1,
        shutdown_grace_seconds=5,
    )

    def build(settings: ServiceSettings, provider: TracerProvider) -> lifecycle.Parts:
        return lifecycle.Parts(engine=make_async_engine(settings.database_url))

    serving = asyncio.create_task(lifecycle.serve(settings, TracerProvider(), build, ("127.0.0.1", 0)))
    try:
        await eventually(
            lambda: _pruned_to(engine, {"rotation-service": 1}), within=30, what="the old entries pruned"
        )
    finally:
        os.kill(os.getpid(), signal.SIGTERM)  # serve's own handler takes it
        await asyncio.wait_for(serving, 15)
        declared = Topics(prefix=settings.kafka_topic_prefix).specs()
        await delete_topics(kafka_bootstrap_servers, [spec.name for spec in declared])


async def _pruned_to(engine: AsyncEngine, expected: dict[str, int]) -> bool:
    return await entries(engine) == expected
