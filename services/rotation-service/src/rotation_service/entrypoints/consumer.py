"""The Kafka subscriber of sync results (pagerduty topic); commits offsets only after the work is done."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from oncall_contracts.topics import Topics
from oncall_platform.consumer import decode_or_dead_letter
from rotation_service.service_layer.sync_status import CONSUMER, SyncStatusRecorder


def subscribe_sync_results(broker: KafkaBroker, topics: Topics, recorder: SyncStatusRecorder) -> None:
    @broker.subscriber(
        topics.pagerduty,
        group_id=topics.consumer_group(CONSUMER),
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_pagerduty_event(message: KafkaMessage) -> None:
        record = message.raw_message
        assert not isinstance(record, tuple)
        envelope = await decode_or_dead_letter(
            broker,
            topics.dead_letter(CONSUMER),
            value=record.value or b"",
            headers=dict(record.headers),
            key=record.key,
            source_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
        if envelope is not None:
            await recorder.apply(envelope)
