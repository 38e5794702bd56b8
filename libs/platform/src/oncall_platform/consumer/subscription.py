"""The faststream side: one batch subscriber per consumer, offsets committed by hand after the work.

The subscriber fetches whatever the broker has (up to `batch_max_records`, never waiting to fill a
batch, and not sleeping between fetches), so a single event is handled at once. Offsets are committed
only for finished records (`AckPolicy.MANUAL`); after a pause the unfinished partitions are rewound to
their first unfinished record, so nothing is skipped and finished records are not dead-lettered twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.trace import TracerProvider, get_tracer_provider

from oncall_contracts import Topics
from oncall_platform import metrics
from oncall_platform.consumer.dead_letter import DeadLetterTopic
from oncall_platform.consumer.pipeline import ConsumerOptions, ConsumerPipeline, EventConsumer, Progress, U
from oncall_platform.consumer.records import Record

logger = logging.getLogger("oncall_platform.consumer")


def subscribe(
    broker: KafkaBroker,
    topics: Topics,
    consumer: EventConsumer[U],
    *,
    sources: Sequence[str],
    options: ConsumerOptions | None = None,
    group_id: str | None = None,
    tracer_provider: TracerProvider | None = None,
) -> ConsumerPipeline[U]:
    """Consume `sources` (topic names) with `consumer` through the pipeline, on `broker`.

    The Kafka group is `topics.consumer_group(group_id or consumer.group)`; the inbox and the
    dead-letter topic (`topics.dead_letter(consumer.group)`) always use `consumer.group`, so a
    replica replaying under another group id still skips what was applied.
    """
    options = options or ConsumerOptions()
    dead_letters = DeadLetterTopic(broker, topics.dead_letter(consumer.group), consumer.group)
    tracer = (tracer_provider or get_tracer_provider()).get_tracer("oncall_platform.consumer")
    pipeline = ConsumerPipeline(consumer, dead_letters, options, tracer=tracer)

    async def consume(message: KafkaMessage) -> None:
        batch = message.raw_message
        records = [Record.of(raw) for raw in (batch if isinstance(batch, tuple) else (batch,))]
        await _consume_batch(pipeline, cast(AIOKafkaConsumer, message.consumer), records)

    subscriber = broker.subscriber(
        *sources,
        group_id=topics.consumer_group(group_id or consumer.group),
        batch=True,
        max_records=options.batch_max_records,
        batch_timeout_ms=options.idle_wait_ms,
        fetch_max_wait_ms=options.fetch_max_wait_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        parser=_tolerant_parser,
        decoder=_undecoded,
    )
    subscriber(consume)
    _wait_for_records_without_idle_sleep(subscriber, options)
    return pipeline


def _wait_for_records_without_idle_sleep(subscriber: Any, options: ConsumerOptions) -> None:
    """faststream's batch subscriber, after a fetch that found nothing, sleeps its batch timeout
    again before the next one: a short timeout means ~20 idle turns a second per consumer (CPU for
    nothing), a long one delays the first event after a quiet spell. aiokafka's `getmany` already
    returns as soon as a record arrives, so this subscriber waits in `getmany` alone: an idle
    consumer turns once per `idle_wait_ms` and an event is handled the moment it is fetched. (The
    subscriber's consume task is cancelled on stop, so the long wait does not slow a shutdown.)"""

    async def get_msg(kafka: AIOKafkaConsumer) -> tuple[Any, ...]:
        fetched = await kafka.getmany(timeout_ms=options.idle_wait_ms, max_records=options.batch_max_records)
        return tuple(itertools.chain.from_iterable(fetched.values()))

    subscriber.get_msg = get_msg


async def _consume_batch(
    pipeline: ConsumerPipeline[Any], kafka: AIOKafkaConsumer, records: Sequence[Record]
) -> None:
    """One fetched batch: process it, commit what finished, rewind what did not, update the lag."""
    progress = await pipeline.process(records)
    await _settle(kafka, progress)
    metrics.CONSUMER_LAG.processed(pipeline.consumer.group, kafka, _next_offsets(progress))


async def _settle(kafka: AIOKafkaConsumer, progress: Progress) -> None:
    offsets = {
        TopicPartition(topic, partition): offset
        for (topic, partition), offset in progress.commit_offsets().items()
    }
    if offsets:
        try:
            await kafka.commit(offsets)
        except (KafkaError, IllegalStateError) as error:  # e.g. revoked by a rebalance: the new owner
            logger.warning("offset commit failed (%r); the records will be delivered again", error)
    for (topic, partition), offset in progress.resume_from().items():
        # IllegalStateError: no longer assigned to us; its new owner starts from the committed offset
        with contextlib.suppress(IllegalStateError):
            kafka.seek(TopicPartition(topic, partition), offset)


def _next_offsets(progress: Progress) -> dict[TopicPartition, int]:
    """Per partition of the batch, the next offset the group processes (committed, or resumed from)."""
    offsets = {**progress.commit_offsets(), **progress.resume_from()}
    return {TopicPartition(topic, partition): offset for (topic, partition), offset in offsets.items()}


async def _tolerant_parser(raw: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """faststream's parser, which fails on a header that is not UTF-8; such headers are replaced so
    that the pipeline sees (and dead-letters) the record instead of faststream dropping it."""
    try:
        return await original(raw)
    except UnicodeDecodeError:
        records = raw if isinstance(raw, tuple) else (raw,)
        cleaned = tuple(
            dataclasses.replace(
                record,
                headers=tuple((k, v.decode(errors="replace").encode()) for k, v in record.headers),
            )
            for record in records
        )
        return await original(cleaned if isinstance(raw, tuple) else cleaned[0])


async def _undecoded(message: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """No body decoding by faststream: the pipeline decodes the raw bytes with the registry."""
    return None
