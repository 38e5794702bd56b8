"""What the service keeps: the rotations, shifts, integrations and users it folded from events, and
the state of each PagerDuty schedule it manages (a "target": a target rotation's primary or backup)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from oncall_contracts import SealedCredential
from pd_sync_service.domain.model import DailyWindow, Layer


@dataclass(frozen=True)
class RotationSettings:
    """A rotation's settings as the latest IntegrationConfigured or Rotation* event gave them."""

    rotation_id: str
    name: str
    time_zone: str
    coverage: DailyWindow | None
    backup: bool


@dataclass(frozen=True)
class ShiftRecord:
    """The latest ShiftChanged of one shift (higher revisions replace lower ones)."""

    rotation_id: str
    shift_id: str
    revision: int
    start: datetime
    end: datetime
    primary_email: str | None
    backup_email: str | None
    cancelled: bool


@dataclass(frozen=True)
class IntegrationRecord:
    """A rotation's PagerDuty integration; `active` is False after IntegrationRemoved. `credential` is
    the sealed API key (never the plaintext)."""

    rotation_id: str
    revision: int
    active: bool
    mode: str
    target_rotation_id: str
    schedule_name: str
    account_key: str
    subdomain: str
    region: str
    credential: SealedCredential
    schedule_time_zone: str
    configured_at: datetime


@dataclass
class TargetSchedule:
    """One PagerDuty schedule we manage, as a sync claimed it; the sync updates it and saves it.

    `dirty_seq` grows whenever its inputs change; a sync records the `synced_seq` it wrote for, so a
    change during a sync is never lost. `layers` is what PagerDuty holds as we last wrote or read it.
    `traceparent` lets the debounced sync continue the trace of the latest change that asked for it.
    """

    target_rotation_id: str
    role: str
    schedule_id: str | None = None
    schedule_url: str | None = None
    layers: list[Layer] = field(default_factory=list)
    dirty_seq: int = 0
    synced_seq: int = 0
    dirty_at: datetime | None = None
    last_dirty_at: datetime | None = None
    check_drift: bool = False
    synced_until: datetime | None = None
    traceparent: str | None = None
    drift_checked_at: datetime | None = None
    changed_at: datetime | None = None  # when the earliest change PagerDuty does not show yet was accepted
