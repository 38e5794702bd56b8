"""The Kafka consumer of the rotation and PagerDuty streams, through `oncall_platform.consumer`:
the events of a fetch are folded in one transaction with their inbox records, then offsets commit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider

from oncall_contracts import Envelope, Topics
from oncall_platform.clock import system_clock
from oncall_platform.consumer import ConsumerOptions, EventConsumer, subscribe
from pd_sync_service.service_layer.folding import HANDLED_EVENTS, BatchFolder
from pd_sync_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory

CONSUMER_GROUP = "pd-sync-service"


@dataclass(frozen=True)
class FoldingUnit:
    """A batch's unit of work and the folder its events go through (written before it commits)."""

    uow: UnitOfWork
    folder: BatchFolder

    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        return await self.uow.first_time(consumer, event_id)

    async def first_times(self, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        return await self.uow.first_times(consumer, event_ids)


def folding(unit_of_work: UnitOfWorkFactory) -> Callable[[], AbstractAsyncContextManager[FoldingUnit]]:
    @asynccontextmanager
    async def folding_unit() -> AsyncIterator[FoldingUnit]:
        uow = unit_of_work()
        async with uow:
            unit = FoldingUnit(uow, BatchFolder(uow, system_clock))
            yield unit
            await unit.folder.flush()
            await uow.commit()

    return folding_unit


def register_consumers(
    broker: KafkaBroker,
    topics: Topics,
    unit_of_work: UnitOfWorkFactory,
    *,
    options: ConsumerOptions,
    on_folded: Callable[[], None] = lambda: None,
    tracer_provider: TracerProvider | None = None,
) -> None:
    """Subscribe to the rotation and PagerDuty streams; offsets are committed only after the fold.

    `on_folded` is called after each committed fold (the reconciler's wake-up). `options`'
    `fetch_max_wait_ms` bounds how long an event can wait behind an idle fetch of other partitions.
    """

    async def handle(unit: FoldingUnit, envelope: Envelope[Any]) -> None:
        await unit.folder.fold(envelope.payload, envelope.occurred_at)

    consumer = EventConsumer(
        group=CONSUMER_GROUP,
        handles=HANDLED_EVENTS,
        unit_of_work=folding(unit_of_work),
        handle=handle,
        after_commit=on_folded,
    )
    subscribe(
        broker,
        topics,
        consumer,
        sources=[topics.rotation, topics.pagerduty],
        options=options,
        tracer_provider=tracer_provider,
    )
