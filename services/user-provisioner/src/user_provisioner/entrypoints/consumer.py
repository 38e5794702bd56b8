"""The Kafka entrypoint: fold rotation events into the database, then wake the worker.

The offset is committed only after the event's transaction commits (faststream acks after the
handler returns; an exception nacks, so the event is delivered again). The transaction records the
event id, so a redelivered or duplicated event changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from oncall_contracts import Topics
from oncall_platform.consumer import decode_or_dead_letter
from user_provisioner.service_layer.folding import HANDLED_EVENTS, apply_once
from user_provisioner.service_layer.unit_of_work import UnitOfWorkFactory

CONSUMER_GROUP = "user-provisioner"


def register_rotation_consumer(
    broker: KafkaBroker,
    topics: Topics,
    unit_of_work: UnitOfWorkFactory,
    on_work_queued: Callable[[], None],
    clock: Callable[[], datetime],
    *,
    group_id: str = CONSUMER_GROUP,
) -> None:
    """Subscribe `broker` to the rotation topic as consumer group `group_id`."""
    dead_letter_topic = topics.dead_letter(CONSUMER_GROUP)

    @broker.subscriber(
        topics.rotation,
        group_id=topics.consumer_group(group_id),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_rotation_event(message: KafkaMessage) -> None:
        record = message.raw_message
        envelope = await decode_or_dead_letter(
            broker,
            dead_letter_topic,
            value=message.body,
            headers=message.headers,
            key=getattr(record, "key", None),
            source_topic=getattr(record, "topic", topics.rotation),
            partition=getattr(record, "partition", -1),
            offset=getattr(record, "offset", -1),
        )
        if envelope is None or not isinstance(envelope.payload, HANDLED_EVENTS):
            return
        await apply_once(unit_of_work(), envelope, clock())
        on_work_queued()
