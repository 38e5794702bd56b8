"""Kafka consumers: decode (or dead-letter), de-duplicate, fold, commit, then acknowledge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall_contracts import Topics
from oncall_platform.consumer import decode_message_or_dead_letter
from oncall_platform.inbox import record_once
from pd_sync_service.service_layer.folding import FOLDED_EVENTS, fold

CONSUMER_GROUP = "pd-sync-service"


def register_consumers(
    broker: KafkaBroker,
    topics: Topics,
    sessions: async_sessionmaker[AsyncSession],
    *,
    fetch_max_wait_ms: int = 100,
    on_folded: Callable[[], None] = lambda: None,
) -> None:
    """Subscribe to the rotation and PagerDuty streams; offsets are committed only after the fold.

    `on_folded` is called after each folded event's commit (the reconciler's wake-up).
    `fetch_max_wait_ms` bounds how long an event can wait behind an idle fetch of other partitions
    (aiokafka sends one fetch per broker at a time; Kafka's 500 ms default delays every change).
    """
    dead_letter = topics.dead_letter(CONSUMER_GROUP)

    async def handle(message: KafkaMessage) -> None:
        envelope = await decode_message_or_dead_letter(broker, dead_letter, message)
        if envelope is None or not isinstance(envelope.payload, FOLDED_EVENTS):
            return  # dead-lettered, or not needed here (e.g. our own ScheduleSynced): no transaction
        async with sessions() as session, session.begin():
            if await record_once(session, CONSUMER_GROUP, envelope.event_id):
                await fold(session, envelope.payload, datetime.now(UTC))
        on_folded()  # after the commit: the reconciler may now see the marks

    group = topics.consumer_group(CONSUMER_GROUP)
    for topic in (topics.rotation, topics.pagerduty):
        broker.subscriber(
            topic,
            group_id=group,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=fetch_max_wait_ms,
        )(handle)
