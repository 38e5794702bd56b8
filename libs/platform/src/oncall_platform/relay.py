"""The outbox relay: publishes `outbox_messages` to Kafka in id order, parks what Kafka refuses for good.

A round reads up to `batch_size` pending rows in id order, pipelines their sends through the
idempotent `acks=all` producer, then marks the acknowledged rows published in the same transaction.

- Order per key: the producer keeps a partition's records in send order (one batch in flight per
  partition, retried until acknowledged), and a round never sends a row of a key behind one of that key
  it could not send. Rows of one key are in commit order when their writers are serialised (the
  aggregate's row lock), which every producing service does.
- Parking: a row Kafka will never take (larger than `max_message_bytes`, an invalid topic name, or any
  non-retriable producer error attributable to it) gets `parked_at` and `park_reason`, a warning names
  its event, and later rows (of its key too) flow. A refusal by the broker comes back for a whole
  batch and breaks the idempotent producer's sequence, so every later record of that partition fails
  too (none overtakes): the relay restarts its producer after the round (it needs a broker of its own,
  without subscribers) and re-sends that batch's rows one at a time; a row refused alone is parked.
- Transient errors (broker down, unknown topic) park nothing: rows stay pending; a topic whose metadata
  is missing is skipped for `retry_delay` so the other topics keep flowing.
- Replicas: on PostgreSQL a round holds a transaction-scoped advisory lock, so one replica relays at a
  time and another takes over within a poll once it stops. SQLite (local runs, unit tests) has one relay.
- Pruning: published rows are kept for `retention` (to answer "did event X go out, when"), then deleted
  in bulk every `prune_interval`.
- Metrics: each round counts what it published; every `measure_interval` the relay measures the
  backlog (pending rows, the age of the oldest, parked rows) into `oncall_platform.metrics`.
- Tracing: each send runs in a PRODUCER span whose parent is the trace context stored with the row;
  the broker's telemetry middleware puts it in the message's `traceparent` header.

A crash between the acknowledgement and the commit re-sends those rows; consumers de-duplicate by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import zlib
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import errors as kafka_errors
from faststream.kafka import KafkaBroker
from opentelemetry import propagate, trace
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from oncall_contracts import limits
from oncall_platform import metrics
from oncall_platform.outbox import OUTBOX

logger = logging.getLogger(__name__)

_LEAD_LOCK = zlib.crc32(b"oncall_platform.relay outbox_messages")  # the advisory lock of the relay
_LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")
_RECORD_OVERHEAD = 512  # record and batch framing plus the headers the producer adds (tracing, ids)
# Non-retriable, yet about the producer's state rather than the record: never a reason to park a row.
_PRODUCER_STATE_ERRORS = (
    kafka_errors.KafkaTimeoutError,
    kafka_errors.ProducerClosed,
    kafka_errors.ProducerFenced,
    kafka_errors.IllegalStateError,
    kafka_errors.OutOfOrderSequenceNumber,
    kafka_errors.InvalidProducerEpoch,
    kafka_errors.UnknownProducerId,
)


def refused_for_good(error: BaseException) -> bool:
    """Whether Kafka will refuse the record however often it is sent (too large, invalid topic, ...)."""
    if isinstance(error, _PRODUCER_STATE_ERRORS):
        return False
    return isinstance(error, kafka_errors.KafkaError) and not error.retriable


@dataclass
class _Round:
    published: list[int] = field(default_factory=list)
    parked: dict[int, str] = field(default_factory=dict)
    deferred: int = 0  # rows left pending by a transient failure


class OutboxRelay:
    """Relays one service's outbox; call `wake()` after a commit that added rows."""

    def __init__(
        self,
        engine: AsyncEngine,
        broker: KafkaBroker,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        batch_size: int = 200,
        poll_interval: float = 0.5,
        retry_delay: float = 1.0,
        max_message_bytes: int = 1_000_000,
        retention: timedelta = timedelta(hours=1),
        prune_interval: float = 60.0,
        measure_interval: float = 5.0,
    ) -> None:
        self._engine = engine
        self._broker = broker
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retry_delay = retry_delay
        self._max_message_bytes = max_message_bytes
        self._retention = retention
        self._prune_interval = prune_interval
        self._measure_interval = measure_interval
        self._wakeup = asyncio.Event()
        self._suspects: set[int] = set()  # rows of a batch the broker refused: re-sent one at a time
        self._unavailable: dict[str, float] = {}  # topic -> monotonic time until which it is skipped
        self._connected = False
        self._producer_broken = False  # after a refusal the idempotent producer's sequence is broken

    def wake(self) -> None:
        """Publish now rather than at the next poll (other replicas' commits are found by polling)."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Publish until cancelled (or `stop` is set); broker and database outages are retried."""
        await self._report_parked()
        next_prune = next_measure = time.monotonic()
        while stop is None or not stop.is_set():
            self._wakeup.clear()  # before reading, so a commit during the round is not missed
            delay = self._poll_interval
            try:
                while True:
                    outcome = await self._round()
                    if outcome.deferred:
                        delay = self._retry_delay
                    if len(outcome.published) + len(outcome.parked) < self._batch_size:
                        break
                if time.monotonic() >= next_prune:
                    await self.prune()
                    next_prune = time.monotonic() + self._prune_interval
                if time.monotonic() >= next_measure:
                    await self.measure()
                    next_measure = time.monotonic() + self._measure_interval
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("outbox relay could not publish; retrying", exc_info=True)
                delay = self._retry_delay
            await self._sleep(delay, stop)
        await self._final_round()

    async def _final_round(self) -> None:
        """On `stop`: publish what the work in hand committed meanwhile (the rest waits for a replica)."""
        try:
            await self._round()
        except Exception:
            logger.warning("outbox relay could not publish before stopping", exc_info=True)

    async def close(self) -> None:
        """Stop the relay's producer (after `run` returned)."""
        await self._broker.stop()
        self._connected = False

    async def publish_pending(self) -> int:
        """One round: send up to a batch of pending rows; returns how many were published."""
        return len((await self._round()).published)

    async def parked_count(self) -> int:
        """How many rows are parked (the hook for a metric)."""
        async with self._engine.connect() as connection:
            statement = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.parked_at.is_not(None))
            return int((await connection.execute(statement)).scalar_one())

    async def measure(self) -> None:
        """Set the backlog gauges: pending rows, the age of the oldest pending row, parked rows."""
        pending = OUTBOX.c.published_at.is_(None) & OUTBOX.c.parked_at.is_(None)
        async with self._engine.connect() as connection:
            count, oldest = (
                await connection.execute(select(func.count(), func.min(OUTBOX.c.created_at)).where(pending))
            ).one()
        parked = await self.parked_count()
        metrics.OUTBOX_PENDING.set(int(count))
        metrics.OUTBOX_OLDEST_PENDING_AGE.set(_age_seconds(oldest))
        metrics.OUTBOX_PARKED.set(parked)

    async def prune(self) -> int:
        """Delete rows published longer than `retention` ago; returns how many."""
        cutoff = datetime.now(UTC) - self._retention
        async with self._engine.begin() as connection:
            result = await connection.execute(
                OUTBOX.delete().where(OUTBOX.c.published_at.is_not(None), OUTBOX.c.published_at < cutoff)
            )
        pruned = int(result.rowcount)
        if pruned:
            logger.info("pruned published outbox rows", extra={"rows": pruned})
        return pruned

    async def _round(self) -> _Round:
        await self._connect()
        outcome = _Round()
        async with self._engine.begin() as connection:
            if not await self._lead(connection):
                return outcome  # another replica is relaying this outbox
            rows = await self._pending(connection)
            if rows:
                await self._relay(rows, outcome)
                await self._record(connection, rows, outcome)
        metrics.OUTBOX_PUBLISHED.inc(len(outcome.published))  # committed
        if self._producer_broken:
            await self._broker.stop()  # the next round connects a new producer (a new producer id)
            self._connected = self._producer_broken = False
        return outcome

    async def _connect(self) -> None:
        if not self._connected:
            await self._broker.connect()
            self._connected = True

    async def _lead(self, connection: AsyncConnection) -> bool:
        if connection.dialect.name != "postgresql":
            return True
        locked = await connection.scalar(select(func.pg_try_advisory_xact_lock(_LEAD_LOCK)))
        return bool(locked)

    async def _pending(self, connection: AsyncConnection) -> Sequence[Row[Any]]:
        now = time.monotonic()
        self._unavailable = {topic: until for topic, until in self._unavailable.items() if until > now}
        statement = (
            select(OUTBOX)
            .where(OUTBOX.c.published_at.is_(None), OUTBOX.c.parked_at.is_(None))
            .order_by(OUTBOX.c.id)
            .limit(self._batch_size)
        )
        if self._unavailable:
            statement = statement.where(OUTBOX.c.topic.not_in(list(self._unavailable)))
        return (await connection.execute(statement)).all()

    async def _relay(self, rows: Sequence[Row[Any]], outcome: _Round) -> None:
        """Pipelines the sends; a key whose row could not be sent sends nothing more this round."""
        in_flight: list[tuple[Row[Any], Awaitable[object]]] = []
        held: set[tuple[str, bytes]] = set()
        for row in rows:
            if (
                self._producer_broken
                or (row.topic, row.message_key) in held
                or row.topic in self._unavailable
            ):
                outcome.deferred += 1
                continue
            if refusal := self._refusal(row):
                outcome.parked[row.id] = refusal
                continue
            if row.id in self._suspects:  # alone, so a refusal is this row's own
                await self._confirm(in_flight, outcome, held)
                in_flight = []
                if self._producer_broken:
                    outcome.deferred += 1
                    continue
            try:
                in_flight.append((row, await self._send(row)))
            except Exception as error:
                self._send_failed(row, error, outcome, held)
                continue
            if row.id in self._suspects:
                await self._confirm(in_flight, outcome, held)
                in_flight = []
        await self._confirm(in_flight, outcome, held)

    def _refusal(self, row: Row[Any]) -> str | None:
        if not _LEGAL_TOPIC.match(row.topic):
            return f"invalid topic name {row.topic!r}"
        size = len(row.message_key) + len(row.value) + sum(len(k) + len(v) for k, v in row.headers.items())
        if size + _RECORD_OVERHEAD > self._max_message_bytes:
            return f"message of {size} bytes is larger than the {self._max_message_bytes} bytes Kafka accepts"
        return None

    async def _send(self, row: Row[Any]) -> Awaitable[object]:
        carrier = {name: value for name in ("traceparent", "tracestate") if (value := getattr(row, name))}
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": row.topic,
            "messaging.message.id": row.event_id,
            "oncall.event_type": row.headers.get("event-type", ""),
        }
        with self._tracer.start_as_current_span(
            "outbox publish",
            context=propagate.extract(carrier),
            kind=trace.SpanKind.PRODUCER,
            attributes=attributes,
        ):
            headers = dict(row.headers)
            propagate.inject(headers)  # the consumers' spans continue this one
            future: Awaitable[object] = await self._broker.publish(
                row.value, topic=row.topic, key=row.message_key, headers=headers, no_confirm=True
            )
        return future

    def _send_failed(
        self, row: Row[Any], error: Exception, outcome: _Round, held: set[tuple[str, bytes]]
    ) -> None:
        if refused_for_good(error) or isinstance(error, (TypeError, ValueError)):  # this record, for good
            outcome.parked[row.id] = _reason(error)
            return
        outcome.deferred += 1
        held.add((row.topic, row.message_key))
        if isinstance(error, (kafka_errors.UnknownTopicOrPartitionError, kafka_errors.KafkaTimeoutError)):
            self._unavailable[row.topic] = time.monotonic() + self._retry_delay
        logger.warning(
            "outbox relay could not send; the row stays pending",
            extra={"event_id": row.event_id, "topic": row.topic, "error": _reason(error)},
        )

    async def _confirm(
        self,
        in_flight: list[tuple[Row[Any], Awaitable[object]]],
        outcome: _Round,
        held: set[tuple[str, bytes]],
    ) -> None:
        for row, confirmation in in_flight:
            try:
                await confirmation
            except Exception as error:
                held.add((row.topic, row.message_key))
                self._producer_broken = True  # later records of the partition fail out of sequence
                if row.id in self._suspects and refused_for_good(error):
                    outcome.parked[row.id] = _reason(error)
                    continue
                outcome.deferred += 1
                if refused_for_good(error):
                    self._suspects.add(row.id)
                logger.warning(
                    "broker did not acknowledge an outbox event",
                    extra={"event_id": row.event_id, "topic": row.topic, "error": _reason(error)},
                )
                continue
            outcome.published.append(row.id)

    async def _record(self, connection: AsyncConnection, rows: Sequence[Row[Any]], outcome: _Round) -> None:
        now = datetime.now(UTC)
        if outcome.published:
            await connection.execute(
                OUTBOX.update().where(OUTBOX.c.id.in_(outcome.published)).values(published_at=now)
            )
        by_id = {row.id: row for row in rows}
        for row_id, reason in outcome.parked.items():
            await connection.execute(
                OUTBOX.update()
                .where(OUTBOX.c.id == row_id)
                .values(parked_at=now, park_reason=limits.truncate(reason))
            )
            _warn_parked(by_id[row_id], reason)
        self._suspects -= {*outcome.published, *outcome.parked}

    async def _report_parked(self) -> None:
        with contextlib.suppress(Exception):  # the database may be down at start; rounds retry
            if parked := await self.parked_count():
                logger.warning("the outbox holds parked events Kafka refused", extra={"parked": parked})

    async def _sleep(self, delay: float, stop: asyncio.Event | None) -> None:
        waiters = [asyncio.ensure_future(self._wakeup.wait())]
        if stop is not None:
            waiters.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()


def _age_seconds(created_at: datetime | None) -> float:
    if created_at is None:
        return 0.0
    if created_at.tzinfo is None:  # SQLite hands back naive UTC
        created_at = created_at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - created_at).total_seconds())


def _reason(error: BaseException) -> str:
    return limits.truncate(f"{type(error).__name__}: {error}")


def _warn_parked(row: Row[Any], reason: str) -> None:
    logger.warning(
        "outbox parked an event Kafka refuses for good; later events flow",
        extra={
            "event_id": row.event_id,
            "event_type": row.headers.get("event-type", ""),
            "key": row.message_key.decode(errors="replace")[:200],
            "topic": row.topic,
            "reason": reason,
        },
    )
