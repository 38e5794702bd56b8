"""The outbox: events written in the transaction of the change that caused them, relayed to Kafka later.

`Outbox.add` inserts encoded events into `outbox_messages` inside the caller's transaction, with the
W3C trace context of the running span; the caller wakes the relay (`OutboxRelay.wake`) after its commit.
`OutboxRelay` (oncall_platform.relay) publishes them in id order, keyed by each event's subject.
Include `OutboxMessage` in the service's metadata and create it with `migrations.create_outbox_v1`.
"""

from __future__ import annotations

from collections.abc import Iterable
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
    Text,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import Field, SQLModel

from oncall_contracts import Envelope, Topics, registry

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
    event_id: str = Field(sa_type=String(36))
    topic: str = Field(sa_type=String(249))  # Kafka's longest topic name
    message_key: bytes = Field(sa_type=LargeBinary)  # the Kafka key: the event's subject
    value: bytes = Field(sa_type=LargeBinary)
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    traceparent: str | None = Field(default=None, sa_type=String(64))
    tracestate: str | None = Field(default=None, sa_type=String(512))
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    parked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    park_reason: str | None = Field(default=None, sa_type=Text)


OUTBOX: Table = OutboxMessage.__table__  # type: ignore[attr-defined]


def current_trace_context() -> dict[str, str]:
    """The W3C trace context of the running span (an HTTP request, a consumed event), if any."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


class Outbox:
    """Adds events to the caller's transaction; each goes to the topic of its payload's stream."""

    def __init__(self, topics: Topics) -> None:
        self._topics = topics

    async def add(self, db: AsyncSession | AsyncConnection, envelopes: Iterable[Envelope[Any]]) -> int:
        """Insert the events in order (their ids give the publishing order); returns how many."""
        carrier = current_trace_context()
        now = datetime.now(UTC)
        rows = [self._row(envelope, carrier, now) for envelope in envelopes]
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
