"""Consumer helpers: decode with the contracts registry, or dead-letter what cannot be decoded."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from oncall_contracts import ContractError, Envelope, registry

logger = logging.getLogger(__name__)


async def decode_or_dead_letter(
    broker: KafkaBroker,
    dead_letter_topic: str,
    *,
    value: bytes,
    headers: Mapping[str, Any],
    key: bytes | None,
    source_topic: str,
    partition: int,
    offset: int,
) -> Envelope[Any] | None:
    """The decoded event, or None after publishing the message to `dead_letter_topic` with the reason.

    The consumer then acknowledges the message and keeps going: one bad message never blocks a
    partition, and nothing is silently dropped.
    """
    try:
        return registry.decode(value, headers)
    except ContractError as error:
        logger.warning(
            "dead-lettering an undecodable event",
            extra={"reason": error.reason, "topic": source_topic, "partition": partition, "offset": offset},
        )
        await broker.publish(
            value,
            topic=dead_letter_topic,
            key=key,
            headers={
                "dlq-reason": error.reason[:1000],
                "dlq-source-topic": source_topic,
                "dlq-source-partition": str(partition),
                "dlq-source-offset": str(offset),
            },
        )
        return None


async def decode_message_or_dead_letter(
    broker: KafkaBroker, dead_letter_topic: str, message: KafkaMessage
) -> Envelope[Any] | None:
    """`decode_or_dead_letter` for a faststream message (subscribe with `message: KafkaMessage` from
    `faststream.kafka.annotations`, never a decoded body: the registry decodes the raw bytes)."""
    record = message.raw_message
    if isinstance(record, tuple):  # batch subscribers are not used for events
        raise TypeError("decode_message_or_dead_letter takes a single message, not a batch")
    return await decode_or_dead_letter(
        broker,
        dead_letter_topic,
        value=message.body,
        headers=message.headers,
        key=record.key,
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
