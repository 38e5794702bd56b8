"""The outbox: events written in the transaction of the change that caused them, relayed to Kafka later.

`Outbox.add` inserts encoded events into `outbox_messages` inside the caller's transaction, with the
W3C trace context of the running span; the caller wakes the relay (`OutboxRelay.wake`) after its commit.
`OutboxRelay` (oncall_platform.relay) publishes them in id order, keyed by each event's subject.
Include `OutboxMessage` in the service's metadata and create it with `migrations.create_outbox_v1`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import propagate
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import Field, SQLModel

from oncall_contracts import Envelope, Topics, limits, registry

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
_ID = BigInteger().with_variant(Integer(), "sqlite")
_PENDING = "published_at IS NULL AND parked_at IS NULL"


class OutboxMessage(SQLModel, table=True):
    """One encoded event: pending, published (kept for the relay's retention) or parked for good."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(
            "ix_outbox_messages_pending",
            "id",
            postgresql_where=text(_PENDING),
            sqlite_where=text(_PENDING),
        ),
        Index(
            "ix_outbox_messages_published_at",
            "published_at",
            postgresql_where=text("published_at IS NOT NULL"),
            sqlite_where=text("published_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_type=_ID, primary_key=True)
    event_id: str = Field(sa_type=String(limits.UUID_TEXT))
    topic: str = Field(sa_type=String(limits.TOPIC))  # Kafka's longest topic name
    message_key: bytes = Field(sa_type=LargeBinary)  # the Kafka key: the event's subject
    value: bytes = Field(sa_type=LargeBinary)
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    traceparent: str | None = Field(default=None, sa_type=String(limits.TRACE_CONTEXT))
    tracestate: str | None = Field(default=None, sa_type=String(limits.TRACE_CONTEXT))
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    parked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    park_reason: str | None = Field(default=None, sa_type=String(limits.REASON))


OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]


def current_trace_context() -> dict[str, str]:
    """The W3C trace context of the running span (an HTTP request, a consumed event), if any."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@dataclass(frozen=True)
class PendingEvent:
    """An event with the trace context of the span that produced it."""

    envelope: Envelope[Any]
    trace_context: dict[str, str]


@dataclass
class PendingEvents:
    """A unit of work's events, collected as its use case runs and written by `Outbox.add` when it
    commits; each keeps the trace context of the moment it was added (the commit may run outside)."""

    events: list[PendingEvent] = field(default_factory=list)

    def add_all(self, envelopes: Iterable[Envelope[Any]]) -> None:
        context = current_trace_context()
        self.events.extend(PendingEvent(envelope, context) for envelope in envelopes)

    def take(self) -> list[PendingEvent]:
        taken, self.events = self.events, []
        return taken


class Outbox:
    """Adds events to the caller's transaction; each goes to the topic of its payload's stream."""

    def __init__(self, topics: Topics) -> None:
        self._topics = topics

    async def add(
        self, db: AsyncSession | AsyncConnection, events: Iterable[Envelope[Any] | PendingEvent]
    ) -> int:
        """Insert the events in order (their ids give the publishing order); returns how many. An
        envelope gets the trace context of the running span, a `PendingEvent` keeps its own."""
        running = current_trace_context()
        now = datetime.now(UTC)
        rows = [
            self._row(event.envelope, event.trace_context, now)
            if isinstance(event, PendingEvent)
            else self._row(event, running, now)
            for event in events
        ]
        if rows:
            await db.execute(OUTBOX.insert(), rows)
        return len(rows)

    def _row(self, envelope: Envelope[Any], carrier: dict[str, str], now: datetime) -> dict[str, Any]:
        encoded = registry.encode(envelope)
        return {
            "event_id": str(envelope.event_id),
            "topic": self._topics.topic_for(envelope),
            "message_key": encoded.key,
            "value": encoded.value,
            "headers": dict(encoded.headers),
            "traceparent": carrier.get("traceparent"),
            "tracestate": carrier.get("tracestate"),
            "created_at": now,
        }
