"""The service's own tables: folded rotation state, PagerDuty users, and each target schedule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String
from sqlmodel import Field, SQLModel

from oncall_contracts import limits
from oncall_platform.tables import service_registry

_ROTATION_ID = String(limits.ID)
_EMAIL = String(limits.EMAIL)
_KEY = String(limits.ACCOUNT_KEY)
_ENUM = String(limits.ENUM)
_TIME_ZONE = String(limits.TIME_ZONE)
_TIME_OF_DAY = String(limits.TIME_OF_DAY)
_TRACE_CONTEXT = String(limits.TRACE_CONTEXT)


class Table(SQLModel, registry=service_registry()):
    """The base of this service's tables (a registry of their own)."""


class RotationRow(Table, table=True):
    """A rotation's settings as the latest IntegrationConfigured or Rotation* event gave them."""

    __tablename__ = "rotations"

    rotation_id: str = Field(primary_key=True, sa_type=_ROTATION_ID)
    name: str = Field(sa_type=String(limits.ROTATION_NAME))
    time_zone: str = Field(sa_type=_TIME_ZONE)
    coverage_start: str | None = Field(default=None, sa_type=_TIME_OF_DAY)
    coverage_end: str | None = Field(default=None, sa_type=_TIME_OF_DAY)
    backup: bool = False


class ShiftRow(Table, table=True):
    """The latest ShiftChanged of one shift (higher revisions replace lower ones). Shifts that ended
    SHIFT_RETENTION_DAYS ago are pruned through `ix_shifts_end` (adapters/shift_retention.py)."""

    __tablename__ = "shifts"
    __table_args__ = (Index("ix_shifts_end", "end"),)

    rotation_id: str = Field(primary_key=True, sa_type=_ROTATION_ID)
    shift_id: str = Field(primary_key=True, sa_type=String(limits.ID))
    revision: int
    start: datetime = Field(sa_type=DateTime(timezone=True))
    end: datetime = Field(sa_type=DateTime(timezone=True))
    primary_email: str | None = Field(default=None, sa_type=_EMAIL)
    backup_email: str | None = Field(default=None, sa_type=_EMAIL)
    cancelled: bool = False


class IntegrationRow(Table, table=True):
    """A rotation's PagerDuty integration; `active` is False after IntegrationRemoved.

    `credential` is the sealed API key (never the plaintext).
    """

    __tablename__ = "integrations"

    rotation_id: str = Field(primary_key=True, sa_type=_ROTATION_ID)
    revision: int
    active: bool
    mode: str = Field(sa_type=_ENUM)
    target_rotation_id: str = Field(index=True, sa_type=_ROTATION_ID)
    schedule_name: str = Field(sa_type=String(limits.SCHEDULE_NAME))
    account_key: str = Field(index=True, sa_type=_KEY)
    subdomain: str = Field(sa_type=String(limits.SUBDOMAIN))
    region: str = Field(sa_type=_ENUM)
    credential: dict[str, Any] = Field(sa_type=JSON)
    schedule_time_zone: str = Field(sa_type=_TIME_ZONE)
    configured_at: datetime = Field(sa_type=DateTime(timezone=True))


class PagerDutyUserRow(Table, table=True):
    __tablename__ = "pagerduty_users"

    account_key: str = Field(primary_key=True, sa_type=_KEY)
    email: str = Field(primary_key=True, sa_type=_EMAIL)
    user_id: str = Field(sa_type=String(limits.ID))


class AwaitedUserRow(Table, table=True):
    """An e-mail without a PagerDuty user that a target schedule needs: its sync waits for it."""

    __tablename__ = "awaited_users"
    __table_args__ = (Index("ix_awaited_users_target", "target_rotation_id", "role"),)

    account_key: str = Field(primary_key=True, sa_type=_KEY)
    email: str = Field(primary_key=True, sa_type=_EMAIL)
    target_rotation_id: str = Field(primary_key=True, sa_type=_ROTATION_ID)
    role: str = Field(primary_key=True, sa_type=_ENUM)


class TargetRow(Table, table=True):
    """One PagerDuty schedule we manage: a target rotation's primary or backup schedule.

    `dirty_seq` grows whenever its inputs change; the reconciler records the `synced_seq` it wrote for,
    so a change during a sync is never lost. `layers` is what PagerDuty holds as we last wrote or read it.
    `traceparent` lets the debounced sync continue the trace of the latest change that asked for it.
    """

    __tablename__ = "targets"

    target_rotation_id: str = Field(primary_key=True, sa_type=_ROTATION_ID)
    role: str = Field(primary_key=True, sa_type=_ENUM)
    schedule_id: str | None = Field(default=None, sa_type=String(limits.ID))
    schedule_url: str | None = Field(default=None, sa_type=String(limits.URL))
    layers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    dirty_seq: int = 0
    synced_seq: int = 0
    dirty_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_dirty_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    check_drift: bool = False
    synced_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    traceparent: str | None = Field(
        default=None, sa_type=_TRACE_CONTEXT
    )  # W3C trace context of the latest event that marked it dirty
    drift_checked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    changed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
