"""SQLModel tables of the rotation service (its own database; nobody else reads it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from oncall_contracts import limits
from oncall_platform.tables import service_registry
from rotation_service.adapters.column_types import AUTO_ID, UtcDateTime


class Table(SQLModel, registry=service_registry()):
    """The base of this service's tables (a registry of their own)."""


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kwargs)


def _rotation_id(**kwargs: Any) -> Any:
    return Field(foreign_key="rotations.id", ondelete="CASCADE", max_length=limits.UUID_TEXT, **kwargs)


class RotationRow(Table, table=True):
    __tablename__ = "rotations"
    # Listing order: pages are read by keyset over (created_at, id).
    __table_args__ = (Index("ix_rotations_created_at_id", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=limits.UUID_TEXT)
    name: str = Field(max_length=limits.ROTATION_NAME)
    time_zone: str = Field(max_length=limits.TIME_ZONE)
    period_seconds: int
    first_shift_start: datetime = Field(sa_type=DateTime(timezone=False))  # naive wall clock in time_zone
    handoff_seconds: list[int] = Field(sa_column=Column(JSON, nullable=False))
    coverage_start: str | None = Field(default=None, max_length=limits.TIME_OF_DAY)  # "HH:MM:SS"
    coverage_end: str | None = Field(default=None, max_length=limits.TIME_OF_DAY)
    backup: bool
    horizon_days: int
    shift_revision: int = 0
    integration_revision: int = 0
    created_at: datetime = _utc()


class MemberRow(Table, table=True):
    __tablename__ = "members"

    rotation_id: str = _rotation_id(primary_key=True)
    email: str = Field(primary_key=True, max_length=limits.EMAIL)
    name: str = Field(max_length=limits.PERSON_NAME)
    time_zone: str = Field(max_length=limits.TIME_ZONE)
    joined_at: datetime = _utc()
    position: int  # keeps the join order the allocation sees


class UnavailabilityRow(Table, table=True):
    __tablename__ = "unavailability"

    id: int | None = Field(default=None, sa_type=AUTO_ID, primary_key=True)
    rotation_id: str = _rotation_id(index=True)
    email: str = Field(max_length=limits.EMAIL)
    start: datetime = _utc()
    end: datetime = _utc()


class AdminRow(Table, table=True):
    __tablename__ = "admins"

    rotation_id: str = _rotation_id(primary_key=True)
    email: str = Field(primary_key=True, max_length=limits.EMAIL)


class ShiftRow(Table, table=True):
    __tablename__ = "shifts"

    rotation_id: str = _rotation_id(primary_key=True)
    id: str = Field(primary_key=True, max_length=limits.ID)
    start: datetime = _utc(index=True)
    end: datetime = _utc()
    primary: str | None = Field(default=None, max_length=limits.EMAIL)
    backup: str | None = Field(default=None, max_length=limits.EMAIL)
    conflict: bool = False
    pinned: bool = False


class IntegrationRow(Table, table=True):
    """PagerDuty sync settings; the API key only ever sealed (AES-GCM), bound to the account key."""

    __tablename__ = "integrations"

    rotation_id: str = _rotation_id(primary_key=True)
    mode: str = Field(max_length=limits.ENUM)  # "own" | "merge"
    target_rotation_id: str = Field(index=True, max_length=limits.UUID_TEXT)
    schedule_name: str = Field(max_length=limits.SCHEDULE_NAME)
    subdomain: str = Field(max_length=limits.SUBDOMAIN)
    region: str = Field(max_length=limits.ENUM)
    credential_key_id: str = Field(max_length=limits.CREDENTIAL_KEY_ID)
    credential_nonce: str = Field(max_length=limits.CREDENTIAL_NONCE)
    credential_ciphertext: str = Field(max_length=limits.CREDENTIAL_CIPHERTEXT)
    configured_at: datetime = _utc()


class SyncStatusRow(Table, table=True):
    """What pd-sync-service last reported for one rotation and role."""

    __tablename__ = "sync_status"

    rotation_id: str = Field(primary_key=True, max_length=limits.UUID_TEXT)
    role: str = Field(primary_key=True, max_length=limits.ENUM)
    schedule_id: str | None = Field(default=None, max_length=limits.ID)
    schedule_url: str | None = Field(default=None, max_length=limits.URL)
    layer_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    synced_until: datetime | None = _utc(default=None, nullable=True)
    last_synced_at: datetime | None = _utc(default=None, nullable=True)
    last_error: str | None = Field(default=None, max_length=limits.REASON)
    last_error_retryable: bool | None = None
    last_error_at: datetime | None = _utc(default=None, nullable=True)
    # The e-mails the sync last said it waits for (a ScheduleSyncWaiting), and when.
    waiting_for: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    waiting_reported_at: datetime | None = _utc(default=None, nullable=True)


class UserProvisioningRow(Table, table=True):
    """What user-provisioner last reported for one e-mail in one PagerDuty account."""

    __tablename__ = "user_provisioning"

    account_key: str = Field(primary_key=True, max_length=limits.ACCOUNT_KEY)
    email: str = Field(primary_key=True, max_length=limits.EMAIL)
    provisioned: bool
    reason: str | None = Field(default=None, max_length=limits.REASON)
    retryable: bool | None = None
    at: datetime = _utc()


class ShiftRequestRow(Table, table=True):
    """A hand-over or swap request and where it stands."""

    __tablename__ = "shift_requests"
    __table_args__ = (Index("ix_shift_requests_pending", "state", "expires_at"),)

    id: str = Field(primary_key=True, max_length=limits.UUID_TEXT)
    rotation_id: str = _rotation_id(index=True)
    kind: str = Field(max_length=limits.ENUM)  # "hand_over" | "swap"
    shift_id: str = Field(max_length=limits.ID)
    other_shift_id: str | None = Field(default=None, max_length=limits.ID)
    role: str = Field(max_length=limits.ENUM)
    requested_by: str = Field(max_length=limits.EMAIL)
    requested_of: str = Field(max_length=limits.EMAIL)
    state: str = Field(max_length=limits.ENUM)
    created_at: datetime = _utc()
    expires_at: datetime = _utc()
    decided_by: str | None = Field(default=None, max_length=limits.EMAIL)
    decided_at: datetime | None = _utc(default=None, nullable=True)
    forced: bool = False


class MemberTotalRow(Table, table=True):
    """Per member and role, the on-call time of the shifts pruned from `shifts` (adapters/shift_retention.py):
    with the shifts still kept, a member's whole history."""

    __tablename__ = "member_totals"

    rotation_id: str = _rotation_id(primary_key=True)
    email: str = Field(primary_key=True, max_length=limits.EMAIL)
    role: str = Field(primary_key=True, max_length=limits.ENUM)  # "primary" | "backup"
    seconds: int = Field(sa_type=BigInteger)
    shifts: int
