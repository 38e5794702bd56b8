"""The inbox: which events a consumer has already applied, so redelivery is harmless.

Record the event id in the same transaction as the state change it causes; `record_once` answers
False for an event seen before, and the caller then skips the work. The consumer pipeline
(`oncall_platform.consumer`) does this for every consumer, through its unit of work's `first_time`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, Executable, String, insert
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


async def record_once(db: AsyncSession | AsyncConnection, consumer: str, event_id: uuid.UUID) -> bool:
    """Insert (consumer, event_id) unless present; True when this call recorded it first."""
    values = {"consumer": consumer, "event_id": event_id, "processed_at": datetime.now(UTC)}
    connection = await db.connection() if isinstance(db, AsyncSession) else db
    dialect = connection.dialect.name
    table = ProcessedEvent.__table__  # type: ignore[attr-defined]
    statement: Executable
    if dialect == "postgresql":
        statement = postgresql_insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    else:
        statement = insert(table).values(**values)
    result = await db.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
