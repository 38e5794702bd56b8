"""The dead-letter topic of a consumer group: the original bytes plus why and where they came from."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiokafka.errors import MessageSizeTooLargeError
from faststream.kafka import KafkaBroker

from oncall_platform.consumer.records import Record

logger = logging.getLogger("oncall_platform.consumer")

HEADER_REASON = "dlq-reason"
HEADER_ERROR_CLASS = "dlq-error-class"
HEADER_ATTEMPTS = "dlq-attempts"
HEADER_CONSUMER_GROUP = "dlq-consumer-group"
HEADER_SOURCE_TOPIC = "dlq-source-topic"
HEADER_SOURCE_PARTITION = "dlq-source-partition"
HEADER_SOURCE_OFFSET = "dlq-source-offset"
HEADER_EVENT_ID = "dlq-event-id"
HEADER_EVENT_TYPE = "dlq-event-type"
HEADER_VALUE_DROPPED = "dlq-value-dropped"

MAX_REASON_CHARS = 1000


@dataclass(frozen=True)
class DeadLetter:
    """Why one record is given up on."""

    reason: str
    error_class: str
    attempts: int
    event_id: str | None = None
    event_type: str | None = None


class DeadLetterTopic:
    """Publishes given-up records to `topic`, keyed as they were, and logs each one."""

    def __init__(self, broker: KafkaBroker, topic: str, consumer_group: str) -> None:
        self._broker = broker
        self.topic = topic
        self._group = consumer_group

    async def publish(self, record: Record, letter: DeadLetter) -> None:
        """Raises the broker's error when it cannot be published (the caller retries)."""
        headers = {**record.text_headers(), **self._headers(record, letter)}
        try:
            await self._broker.publish(record.value, topic=self.topic, key=record.key, headers=headers)
        except MessageSizeTooLargeError:  # the added headers pushed it over: keep the why, drop the bytes
            headers[HEADER_VALUE_DROPPED] = f"{len(record.value)} bytes, too large with the headers"
            await self._broker.publish(b"", topic=self.topic, key=record.key, headers=headers)
        logger.error(
            "dead-lettered event %s from %s[%d]@%d after %d attempt(s): %s: %s",
            letter.event_id or "(no id)",
            record.topic,
            record.partition,
            record.offset,
            letter.attempts,
            letter.error_class,
            letter.reason[:MAX_REASON_CHARS],
            extra={
                "consumer_group": self._group,
                "dead_letter_topic": self.topic,
                "source_topic": record.topic,
                "source_partition": record.partition,
                "source_offset": record.offset,
                "event_id": letter.event_id,
                "event_type": letter.event_type,
                "error_class": letter.error_class,
                "attempts": letter.attempts,
            },
        )

    def _headers(self, record: Record, letter: DeadLetter) -> dict[str, str]:
        headers = {
            HEADER_REASON: letter.reason[:MAX_REASON_CHARS],
            HEADER_ERROR_CLASS: letter.error_class,
            HEADER_ATTEMPTS: str(letter.attempts),
            HEADER_CONSUMER_GROUP: self._group,
            HEADER_SOURCE_TOPIC: record.topic,
            HEADER_SOURCE_PARTITION: str(record.partition),
            HEADER_SOURCE_OFFSET: str(record.offset),
        }
        if letter.event_id is not None:
            headers[HEADER_EVENT_ID] = letter.event_id
        if letter.event_type is not None:
            headers[HEADER_EVENT_TYPE] = letter.event_type
        return headers
