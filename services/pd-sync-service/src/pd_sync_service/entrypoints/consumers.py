"""The Kafka consumer of the rotation and PagerDuty streams, through `oncall_platform.consumer`:
the events of a fetch are folded in one transaction with their inbox records, then offsets commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider

from oncall_contracts import Envelope, Topics
from oncall_platform.clock import system_clock
from oncall_platform.consumer import ConsumerOptions, EventConsumer, committing, subscribe
from pd_sync_service.service_layer.folding import HANDLED_EVENTS, fold
from pd_sync_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory

CONSUMER_GROUP = "pd-sync-service"


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

    async def handle(uow: UnitOfWork, envelope: Envelope[Any]) -> None:
        await fold(uow, envelope.payload, system_clock(), envelope.occurred_at)

    consumer = EventConsumer(
        group=CONSUMER_GROUP,
        handles=HANDLED_EVENTS,
        unit_of_work=committing(unit_of_work),
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
