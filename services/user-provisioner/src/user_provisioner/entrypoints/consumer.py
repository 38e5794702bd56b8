"""The Kafka entrypoint: fold rotation events (and the sync's requests for users PagerDuty lost) into
the database, then wake the worker.

Consuming goes through `oncall_platform.consumer`: the events of a fetch are folded in one
transaction with their inbox records, offsets are committed after it, and an event that cannot be
folded is dead-lettered after its attempts so the partition moves on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider

from oncall_contracts import Envelope, Topics
from oncall_platform.consumer import ConsumerOptions, EventConsumer, committing, subscribe
from user_provisioner.service_layer.folding import HANDLED_EVENTS, fold_event
from user_provisioner.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory

CONSUMER_GROUP = "user-provisioner"


def register_rotation_consumer(
    broker: KafkaBroker,
    topics: Topics,
    unit_of_work: UnitOfWorkFactory,
    on_work_queued: Callable[[], None],
    clock: Callable[[], datetime],
    *,
    options: ConsumerOptions,
    group_id: str = CONSUMER_GROUP,
    tracer_provider: TracerProvider | None = None,
) -> None:
    """Subscribe `broker` to the rotation topic as consumer group `group_id`."""

    async def handle(uow: UnitOfWork, envelope: Envelope[Any]) -> None:
        await fold_event(uow, envelope, clock())

    consumer = EventConsumer(
        group=CONSUMER_GROUP,
        handles=HANDLED_EVENTS,
        unit_of_work=committing(unit_of_work),
        handle=handle,
        after_commit=on_work_queued,
    )
    subscribe(
        broker,
        topics,
        consumer,
        sources=[topics.rotation, topics.pagerduty],  # PagerDutyUserMissing: the sync asks again
        options=options,
        group_id=group_id,
        tracer_provider=tracer_provider,
    )
