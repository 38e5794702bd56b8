"""The inbox: which events a consumer has already applied, so redelivery is harmless.

Record the event id in the same transaction as the state change it causes; `record_once` answers
which of a batch's events were not seen before, and the caller skips the others. The consumer
pipeline (`oncall_platform.consumer`) does this for every consumer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import Field, SQLModel


class ProcessedEvent(SQLModel, table=True):
    """One applied event per consumer; include this table in each consuming service's migrations."""

    __tablename__ = "processed_events"

    consumer: str = Field(primary_key=True, sa_type=String(100))
    event_id: uuid.UUID = Field(primary_key=True)
    processed_at: datetime = Field(sa_type=DateTime(timezone=True))


async def record_new(
    db: AsyncSession | AsyncConnection, consumer: str, event_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Insert (consumer, id) for each id not present, in one statement; the ids this call recorded."""
    if not event_ids:
        return set()
    now = datetime.now(UTC)
    rows = [
        {"consumer": consumer, "event_id": event_id, "processed_at": now}
        for event_id in dict.fromkeys(event_ids)
    ]
    connection = await db.connection() if isinstance(db, AsyncSession) else db
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = ProcessedEvent.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(rows).on_conflict_do_nothing().returning(table.c.event_id)
    result = await db.execute(statement)
    return {row[0] for row in result}


async def record_once(db: AsyncSession | AsyncConnection, consumer: str, event_id: uuid.UUID) -> bool:
    """Insert (consumer, event_id) unless present; True when this call recorded it first."""
    return event_id in await record_new(db, consumer, [event_id])
