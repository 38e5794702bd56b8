"""The outbox: sync results are written in the transaction that records the sync, then relayed to Kafka.

A crash after the commit and before the publish loses nothing: the rows stay until the broker
acknowledged them. A crash between the acknowledgement and the delete re-sends a few events; consumers
de-duplicate by event id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import context as otel_context
from opentelemetry import propagate
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from oncall_contracts import Envelope, Topics, registry
from oncall_platform.clock import system_clock
from pd_sync_service.adapters.orm import OutboxRow

logger = logging.getLogger(__name__)
PRODUCER = "pd-sync-service"


class Outbox:
    """Adds events to the caller's transaction; `wake` the relay after that transaction commits."""

    def __init__(self, topics: Topics) -> None:
        self._topics = topics
        self.wakeup = asyncio.Event()

    def add(self, session: AsyncSession, payloads: Iterable[Any]) -> None:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the sync's trace continues when the relay publishes
        for payload in payloads:
            envelope = Envelope.new(payload, producer=PRODUCER)
            encoded = registry.encode(envelope)
            session.add(
                OutboxRow(
                    event_id=str(envelope.event_id),
                    topic=self._topics.topic_for(envelope),
                    key=encoded.key,
                    value=encoded.value,
                    headers=dict(encoded.headers),
                    traceparent=carrier.get("traceparent"),
                    created_at=system_clock(),
                )
            )

    def wake(self) -> None:
        self.wakeup.set()


class OutboxRelay:
    """Publishes committed outbox rows in id order, deleting each batch once the broker acknowledged it."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        broker: KafkaBroker,
        outbox: Outbox,
        *,
        poll_interval: float = 1.0,
        batch_size: int = 100,
    ) -> None:
        self._sessions, self._broker, self._outbox = sessions, broker, outbox
        self._poll_interval, self._batch_size = poll_interval, batch_size

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._outbox.wakeup.clear()  # before reading, so a commit during the round is not missed
            try:
                while await self.publish_pending() == self._batch_size:
                    pass
            except Exception:  # the broker is away: rows stay, retry on the next round
                logger.warning("outbox relay could not publish; retrying", exc_info=True)
            await self._wait(stop)

    async def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were published and deleted."""
        async with self._sessions() as session, session.begin():
            # FOR UPDATE without SKIP LOCKED: a second replica waits rather than reordering events.
            rows = list(
                await session.scalars(
                    select(OutboxRow).order_by(col(OutboxRow.id)).limit(self._batch_size).with_for_update()
                )
            )
            for row in rows:
                await self._send(row)
            if rows:
                await session.execute(delete(OutboxRow).where(col(OutboxRow.id).in_([r.id for r in rows])))
        return len(rows)

    async def _send(self, row: OutboxRow) -> None:
        carrier = {"traceparent": row.traceparent} if row.traceparent else {}
        token = otel_context.attach(propagate.extract(carrier))
        try:
            await self._broker.publish(row.value, topic=row.topic, key=row.key, headers=row.headers)
        finally:
            otel_context.detach(token)

    async def _wait(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._outbox.wakeup.wait())]
        await asyncio.wait(waiters, timeout=self._poll_interval, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
