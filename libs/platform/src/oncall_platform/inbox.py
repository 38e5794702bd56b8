"""The inbox: which events a consumer has already applied, so redelivery is harmless.

Record the event id in the same transaction as the state change it causes; `record_once` answers
False for an event seen before, and the caller then skips the work; `record_new` does a batch of ids
in one statement. The consumer pipeline (`oncall_platform.consumer`) does this for every consumer,
through its unit of work's `first_times` (or `first_time`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import Field, SQLModel

from oncall_platform.clock import system_clock
from oncall_platform.database import insert_or_ignore


class ProcessedEvent(SQLModel, table=True):
    """One applied event per consumer; include this table in each consuming service's migrations."""

    __tablename__ = "processed_events"
    # The inbox pruning finds the oldest entries through it (oncall_platform.inbox_pruning).
    __table_args__ = (Index("ix_processed_events_processed_at", "processed_at"),)

    consumer: str = Field(primary_key=True, sa_type=String(100))
    event_id: uuid.UUID = Field(primary_key=True)
    processed_at: datetime = Field(sa_type=DateTime(timezone=True))


async def record_once(db: AsyncSession | AsyncConnection, consumer: str, event_id: uuid.UUID) -> bool:
    """Insert (consumer, event_id) unless present; True when this call recorded it first."""
    values = {"consumer": consumer, "event_id": event_id, "processed_at": system_clock()}
    connection = await db.connection() if isinstance(db, AsyncSession) else db
    table = ProcessedEvent.__table__  # type: ignore[attr-defined]
    result = await db.execute(insert_or_ignore(connection, table, [values]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_new(
    db: AsyncSession | AsyncConnection, consumer: str, event_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Insert (consumer, id) for each of `event_ids` unless present, in one statement; returns the ids
    this call recorded first (an id given twice counts once)."""
    unique = list(dict.fromkeys(event_ids))
    if not unique:
        return set()
    now = system_clock()
    rows = [{"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in unique]
    connection = await db.connection() if isinstance(db, AsyncSession) else db
    table = ProcessedEvent.__table__  # type: ignore[attr-defined]
    result = await db.execute(insert_or_ignore(connection, table, rows).returning(table.c.event_id))
    return {uuid.UUID(str(event_id)) for event_id in result.scalars()}
