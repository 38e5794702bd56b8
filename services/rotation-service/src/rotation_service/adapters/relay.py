"""The outbox relay: publishes committed outbox rows to Kafka in id order, then marks them published.

Order per rotation holds because a rotation's writes are serialised (its row is locked while changed),
so its outbox ids grow in commit order, and the relay sends in id order with an idempotent producer.
A crash between sending and marking re-sends a few events; consumers de-duplicate by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence

from opentelemetry import propagate, trace
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall_platform.clock import Clock
from rotation_service.adapters.publisher import EventPublisher, OutgoingMessage
from rotation_service.adapters.tables import OutboxRow

logger = logging.getLogger(__name__)


class OutboxPublishError(Exception):
    """The broker did not acknowledge a whole batch; the acknowledged prefix was marked published."""


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: EventPublisher,
        tracer: trace.Tracer,
        clock: Clock,
        *,
        batch_size: int = 200,
        poll_interval: float = 0.5,
        retry_delay: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._tracer = tracer
        self._clock = clock
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retry_delay = retry_delay
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows, so they go out without waiting for the poll."""
        self._wakeup.set()

    async def run(self) -> None:
        """Publish until cancelled; survives broker outages by retrying."""
        while True:
            try:
                while await self.publish_pending() == self._batch_size:
                    pass
                delay = self._poll_interval
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("outbox relay could not publish; retrying", exc_info=True)
                delay = self._retry_delay
            await self._sleep_or_wake(delay)

    async def publish_pending(self) -> int:
        """Send one batch of unpublished rows; returns how many were published."""
        await self._publisher.connect()
        async with self._sessions() as session, session.begin():
            rows = await self._lock_unpublished(session)
            if not rows:
                return 0
            published = await self._send_in_order(rows)
            if published:
                await session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_([row.id for row in published]))  # type: ignore[union-attr]
                    .values(published_at=self._clock())
                )
        if len(published) < len(rows):
            raise OutboxPublishError(f"published {len(published)} of {len(rows)} outbox rows")
        return len(published)

    async def _lock_unpublished(self, session: AsyncSession) -> Sequence[OutboxRow]:
        # FOR UPDATE (not SKIP LOCKED): a second relay waits instead of publishing out of order.
        statement = (
            select(OutboxRow)
            .where(OutboxRow.published_at.is_(None))  # type: ignore[union-attr]
            .order_by(OutboxRow.id)  # type: ignore[arg-type]
            .limit(self._batch_size)
            .with_for_update()
        )
        return (await session.execute(statement)).scalars().all()

    async def _send_in_order(self, rows: Sequence[OutboxRow]) -> list[OutboxRow]:
        """Pipelines the sends, then returns the longest prefix the broker acknowledged."""
        confirmations: list[Awaitable[object]] = []
        try:
            for row in rows:
                confirmations.append(await self._send(row))
        except Exception:
            logger.warning("outbox relay stopped sending a batch", exc_info=True)
        published: list[OutboxRow] = []
        for row, confirmation in zip(rows, confirmations, strict=False):
            try:
                await confirmation
            except Exception:
                logger.warning("broker did not acknowledge outbox event %s", row.event_id, exc_info=True)
                break
            published.append(row)
        return published

    async def _send(self, row: OutboxRow) -> Awaitable[object]:
        carrier = {"traceparent": row.traceparent or "", "tracestate": row.tracestate or ""}
        parent = propagate.extract({k: v for k, v in carrier.items() if v})
        attributes = {
            "messaging.system": "kafka",
            "messaging.destination.name": row.topic,
            "messaging.message.id": row.event_id,
            "oncall.event_type": row.headers.get("event-type", ""),
        }
        with self._tracer.start_as_current_span(
            "outbox publish", context=parent, kind=trace.SpanKind.PRODUCER, attributes=attributes
        ):
            return await self._publisher.send(
                OutgoingMessage(topic=row.topic, key=row.key, value=row.value, headers=row.headers)
            )

    async def _sleep_or_wake(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=delay)
        self._wakeup.clear()
