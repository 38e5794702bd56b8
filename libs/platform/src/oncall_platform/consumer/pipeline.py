"""The consumer pipeline: decode, skip, de-duplicate, handle in one transaction, dead-letter poison.

A fetched batch of records goes through `ConsumerPipeline.process`:

1. triage: a record whose `event-type` header names an event this consumer does not handle is
   skipped before its payload is parsed; the rest are decoded with the contracts registry (bytes
   that do not decode are dead-lettered at once) and skipped if their payload is not handled;
2. the handled events of the batch are applied in ONE unit of work together with their inbox
   records (events already in the inbox are not handled again), then `after_commit` is called;
3. if that unit of work fails, the events are applied one at a time, each up to `max_attempts`
   times with a short backoff; an event that still fails is dead-lettered, and the others commit;
4. the returned `Progress` says which offsets may be committed and where to resume.

An infrastructure failure (database or broker unreachable, see `failures.is_transient`) is not the
event's fault: processing stops, nothing is dead-lettered or counted, and `Progress.resume_from`
says where to fetch again after a growing backoff.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Tracer

from oncall_contracts import ContractError, Envelope, registry
from oncall_contracts.payload import Payload
from oncall_contracts.registry import HEADER_ID, HEADER_TYPE
from oncall_platform import metrics
from oncall_platform.consumer.dead_letter import DeadLetter, DeadLetterTopic
from oncall_platform.consumer.failures import describe, is_transient, qualified_name
from oncall_platform.consumer.records import Record

logger = logging.getLogger("oncall_platform.consumer")

TopicPartition = tuple[str, int]
PartitionSummary = dict[TopicPartition, tuple[int, int, int | None]]


class InboxUnit(Protocol):
    """What the pipeline needs of a service's unit of work, besides what its handler uses."""

    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Record the event in this transaction's inbox of `consumer`; False when it was there."""
        ...


U = TypeVar("U", bound=InboxUnit)


class CommittableUnit(InboxUnit, Protocol):
    """A service's unit-of-work port: `async with uow:` opens it, `commit()` keeps its work."""

    async def __aenter__(self) -> Any: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any: ...

    async def commit(self) -> None: ...


C = TypeVar("C", bound=CommittableUnit)


def committing(factory: Callable[[], C]) -> Callable[[], AbstractAsyncContextManager[C]]:
    """A consumer's `unit_of_work` from a unit-of-work factory: committed when the block exits
    normally; on an exception the unit's own exit rolls it back."""

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[C]:
        unit = factory()
        async with unit:
            yield unit
            await unit.commit()

    return unit_of_work


@dataclass(frozen=True)
class EventConsumer(Generic[U]):
    """One consumer of events: its group, the events it handles, and how it handles them.

    `unit_of_work()` opens one transaction: committed when the block exits normally, rolled back
    when it raises. `handle(unit, envelope)` applies one new event inside it. `after_commit` runs
    after each committed unit that handled at least one new event (a worker's wake-up).
    """

    group: str
    handles: tuple[type[Payload], ...]
    unit_of_work: Callable[[], AbstractAsyncContextManager[U]]
    handle: Callable[[U, Envelope[Any]], Awaitable[None]]
    after_commit: Callable[[], None] = lambda: None

    def handles_type(self, event_type: str) -> bool:
        return any(event_type == model.EVENT_TYPE for model in self.handles)


@dataclass(frozen=True)
class ConsumerOptions:
    """Retries, batches and fetching (from `ServiceSettings.consumer_options()`)."""

    max_attempts: int = 5
    retry_backoff_s: float = 0.1  # before an event's second attempt; doubled each attempt
    max_backoff_s: float = 5.0
    batch_max_records: int = 100
    fetch_max_wait_ms: int = 100
    idle_wait_ms: int = 1000  # how long one fetch waits for records; they are handled as they arrive

    def backoff(self, failures: int) -> float:
        return float(min(self.max_backoff_s, self.retry_backoff_s * 2 ** max(0, failures - 1)))


@dataclass(frozen=True)
class Delivery:
    record: Record
    envelope: Envelope[Any]


@dataclass
class Progress:
    """Which records of a batch are finished (handled, skipped or dead-lettered)."""

    records: Sequence[Record]
    _finished: set[tuple[str, int, int]] = field(default_factory=set)
    _summary: PartitionSummary | None = field(default=None, repr=False, compare=False)

    def finish(self, record: Record) -> None:
        self._finished.add((record.topic, record.partition, record.offset))
        self._summary = None

    def _partitions(self) -> PartitionSummary:
        """Per partition: its first and last offsets in the batch, and its first unfinished one
        (computed once after the last `finish`: committing, seeking and the lag all ask)."""
        if self._summary is None:
            self._summary = self._summarize()
        return self._summary

    def _summarize(self) -> PartitionSummary:
        by_partition: dict[TopicPartition, list[int]] = {}
        for record in self.records:
            by_partition.setdefault((record.topic, record.partition), []).append(record.offset)
        result: dict[TopicPartition, tuple[int, int, int | None]] = {}
        for (topic, partition), offsets in by_partition.items():
            offsets.sort()
            pending = next((o for o in offsets if (topic, partition, o) not in self._finished), None)
            result[(topic, partition)] = (offsets[0], offsets[-1], pending)
        return result

    def commit_offsets(self) -> dict[TopicPartition, int]:
        """The offset to commit per partition (the next record to read), where there was progress."""
        offsets: dict[TopicPartition, int] = {}
        for tp, (first, last, pending) in self._partitions().items():
            if pending is None:
                offsets[tp] = last + 1
            elif pending > first:
                offsets[tp] = pending
        return offsets

    def resume_from(self) -> dict[TopicPartition, int]:
        """Where to fetch again, per partition with unfinished records (empty when all finished)."""
        return {tp: pending for tp, (_, _, pending) in self._partitions().items() if pending is not None}


async def _first_times(unit: InboxUnit, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """The ids of the batch new to the inbox: in one call when the unit records batches
    (`first_times`, as the platform's units of work do), else one `first_time` per id."""
    batch = getattr(unit, "first_times", None)
    if batch is not None:
        new: set[uuid.UUID] = await batch(consumer, event_ids)
        return new
    return {event_id for event_id in dict.fromkeys(event_ids) if await unit.first_time(consumer, event_id)}


class ConsumerPipeline(Generic[U]):
    """Processes fetched batches for one `EventConsumer` (see the module docstring)."""

    def __init__(
        self,
        consumer: EventConsumer[U],
        dead_letters: DeadLetterTopic,
        options: ConsumerOptions,
        *,
        tracer: Tracer | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if options.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.consumer = consumer
        # `consumer.handles_type` as a set of the header's bytes (a type name that is not UTF-8
        # decodes to one with U+FFFD, which no event type has): the skip is one lookup per record
        self._handled_types = frozenset(model.EVENT_TYPE.encode() for model in consumer.handles)
        self._dead_letters = dead_letters
        self._options = options
        self._tracer = tracer or trace.get_tracer("oncall_platform.consumer")
        self._sleep = sleep
        self._transient_failures = 0

    async def process(self, records: Sequence[Record]) -> Progress:
        progress = Progress(records)
        consumed = Counter(record.topic for record in records)
        for topic, count in consumed.items():  # once per label, not per record: labels() is not free
            metrics.EVENTS_CONSUMED.labels(self.consumer.group, topic).inc(count)
        try:
            deliveries, letters = self._triage(records, progress)
            await self._apply(deliveries, progress)
            for record, letter in letters:
                await self._dead_letter(record, letter)
                progress.finish(record)
        except Exception as error:  # never lose a record: anything unexpected is retried from Kafka
            await self._pause_after(error, progress)
        else:
            self._transient_failures = 0
        return progress

    def _triage(
        self, records: Sequence[Record], progress: Progress
    ) -> tuple[list[Delivery], list[tuple[Record, DeadLetter]]]:
        deliveries: list[Delivery] = []
        letters: list[tuple[Record, DeadLetter]] = []
        for record in records:
            raw_type = record.raw_header(HEADER_TYPE)
            if raw_type is not None and raw_type not in self._handled_types:
                progress.finish(record)  # not ours: its payload is never parsed
                continue
            header_type = None if raw_type is None else raw_type.decode(errors="replace")
            try:
                envelope = registry.decode(record.value, record.text_headers())
            except ContractError as error:
                letter = DeadLetter(
                    reason=error.reason,
                    error_class=qualified_name(error),
                    attempts=1,
                    event_id=record.header(HEADER_ID),
                    event_type=header_type,
                )
                letters.append((record, letter))
                continue
            if isinstance(envelope.payload, self.consumer.handles):
                deliveries.append(Delivery(record, envelope))
            else:
                progress.finish(record)
        return deliveries, letters

    async def _apply(self, deliveries: Sequence[Delivery], progress: Progress) -> None:
        if len(deliveries) > 1:
            try:
                await self._commit(deliveries)
            except Exception as error:
                if is_transient(error):
                    raise
                logger.warning(
                    "a batch of %d events failed (%s: %s); handling them one at a time",
                    len(deliveries),
                    qualified_name(error),
                    describe(error),
                    extra={"consumer_group": self.consumer.group},
                )
            else:
                for delivery in deliveries:
                    progress.finish(delivery.record)
                return
        for delivery in deliveries:
            await self._apply_one(delivery)
            progress.finish(delivery.record)

    async def _apply_one(self, delivery: Delivery) -> None:
        attempts = self._options.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                await self._commit([delivery])
                return
            except Exception as error:
                if is_transient(error):
                    raise
                if attempt == attempts:
                    await self._dead_letter(delivery.record, self._letter(delivery, error, attempt))
                    return
                delay = self._options.backoff(attempt)
                logger.warning(
                    "event %s failed (attempt %d of %d, %s: %s); retrying in %.2f s",
                    delivery.envelope.event_id,
                    attempt,
                    attempts,
                    qualified_name(error),
                    describe(error),
                    delay,
                    extra={"consumer_group": self.consumer.group, "event_type": delivery.envelope.type},
                )
                await self._sleep(delay)

    async def _commit(self, deliveries: Sequence[Delivery]) -> None:
        """One transaction: the inbox records of `deliveries` and the handling of the new ones."""
        handled: list[str] = []
        async with self.consumer.unit_of_work() as unit:
            new = await _first_times(unit, self.consumer.group, [d.envelope.event_id for d in deliveries])
            for delivery in deliveries:
                if delivery.envelope.event_id not in new:
                    continue  # seen before (redelivered), or twice in this batch
                new.discard(delivery.envelope.event_id)
                with self._span(delivery):
                    await self.consumer.handle(unit, delivery.envelope)
                handled.append(delivery.envelope.type)
        for event_type, count in Counter(handled).items():  # counted once committed
            metrics.EVENTS_FOLDED.labels(self.consumer.group, event_type).inc(count)
        if handled:
            self.consumer.after_commit()

    async def _dead_letter(self, record: Record, letter: DeadLetter) -> None:
        await self._dead_letters.publish(record, letter)
        metrics.EVENTS_DEAD_LETTERED.labels(self.consumer.group, record.topic).inc()

    def _span(self, delivery: Delivery) -> AbstractContextManager[Span]:
        record = delivery.record
        return self._tracer.start_as_current_span(
            f"{record.topic} process",
            context=propagate.extract(record.text_headers()),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation": "process",
                "messaging.destination.name": record.topic,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
                "messaging.consumer.group.name": self.consumer.group,
                "messaging.message.id": str(delivery.envelope.event_id),
                "event.type": delivery.envelope.type,
            },
        )

    def _letter(self, delivery: Delivery, error: Exception, attempts: int) -> DeadLetter:
        return DeadLetter(
            reason=describe(error),
            error_class=qualified_name(error),
            attempts=attempts,
            event_id=str(delivery.envelope.event_id),
            event_type=delivery.envelope.type,
        )

    async def _pause_after(self, error: Exception, progress: Progress) -> None:
        self._transient_failures += 1
        delay = self._options.backoff(self._transient_failures)
        resume = {
            f"{topic}[{partition}]": offset for (topic, partition), offset in progress.resume_from().items()
        }
        message = "consuming paused (%s: %s); fetching %s again in %.2f s"
        args = (qualified_name(error), describe(error), resume, delay)
        extra = {"consumer_group": self.consumer.group, "transient_failures": self._transient_failures}
        if is_transient(error):
            logger.warning(message, *args, extra=extra)
        else:
            logger.exception(message, *args, extra=extra)
        await self._sleep(delay)
