"""SQLModel tables of the rotation service (its own database; nobody else reads it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, MetaData, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from rotation_service.adapters.column_types import AUTO_ID, UtcDateTime

# A registry of our own, so other services' tables imported into the same process never collide.
metadata = MetaData()


class Table(SQLModel, registry=registry(metadata=metadata)):
    pass


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kwargs)


class RotationRow(Table, table=True):
    __tablename__ = "rotations"
    # Listing order: pages are read by keyset over (created_at, id).
    __table_args__ = (Index("ix_rotations_created_at_id", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=36)
    name: str
    time_zone: str
    period_seconds: int
    first_shift_start: datetime = Field(sa_type=DateTime(timezone=False))  # naive wall clock in time_zone
    handoff_seconds: list[int] = Field(sa_column=Column(JSON, nullable=False))
    coverage_start: str | None = None  # "HH:MM:SS"
    coverage_end: str | None = None
    backup: bool
    horizon_days: int
    shift_revision: int = 0
    integration_revision: int = 0
    created_at: datetime = _utc()


class MemberRow(Table, table=True):
    __tablename__ = "members"

    rotation_id: str = Field(primary_key=True, foreign_key="rotations.id", ondelete="CASCADE")
    email: str = Field(primary_key=True)
    name: str
    time_zone: str
    joined_at: datetime = _utc()
    position: int  # keeps the join order the allocation sees


class UnavailabilityRow(Table, table=True):
    __tablename__ = "unavailability"

    id: int | None = Field(default=None, sa_type=AUTO_ID, primary_key=True)
    rotation_id: str = Field(foreign_key="rotations.id", ondelete="CASCADE", index=True)
    email: str
    start: datetime = _utc()
    end: datetime = _utc()


class AdminRow(Table, table=True):
    __tablename__ = "admins"

    rotation_id: str = Field(primary_key=True, foreign_key="rotations.id", ondelete="CASCADE")
    email: str = Field(primary_key=True)


class ShiftRow(Table, table=True):
    __tablename__ = "shifts"

    rotation_id: str = Field(primary_key=True, foreign_key="rotations.id", ondelete="CASCADE")
    id: str = Field(primary_key=True)
    start: datetime = _utc(index=True)
    end: datetime = _utc()
    primary: str | None = None
    backup: str | None = None
    conflict: bool = False
    pinned: bool = False


class IntegrationRow(Table, table=True):
    """PagerDuty sync settings; the API key only ever sealed (AES-GCM), bound to the account key."""

    __tablename__ = "integrations"

    rotation_id: str = Field(primary_key=True, foreign_key="rotations.id", ondelete="CASCADE")
    mode: str  # "own" | "merge"
    target_rotation_id: str = Field(index=True)
    schedule_name: str
    subdomain: str
    region: str
    credential_key_id: str
    credential_nonce: str
    credential_ciphertext: str
    configured_at: datetime = _utc()


class SyncStatusRow(Table, table=True):
    """What pd-sync-service last reported for one rotation and role."""

    __tablename__ = "sync_status"

    rotation_id: str = Field(primary_key=True)
    role: str = Field(primary_key=True)
    schedule_id: str | None = None
    schedule_url: str | None = None
    layer_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    synced_until: datetime | None = _utc(default=None, nullable=True)
    last_synced_at: datetime | None = _utc(default=None, nullable=True)
    last_error: str | None = None
    last_error_retryable: bool | None = None
    last_error_at: datetime | None = _utc(default=None, nullable=True)


class OutboxRow(Table, table=True):
    """An encoded event waiting for (or done with) publication; written in the state change's transaction."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_type=AUTO_ID, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    topic: str
    key: bytes = Field(sa_type=LargeBinary)
    value: bytes = Field(sa_type=LargeBinary)
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    traceparent: str | None = None
    tracestate: str | None = None
    created_at: datetime = _utc()
    published_at: datetime | None = _utc(default=None, nullable=True)
