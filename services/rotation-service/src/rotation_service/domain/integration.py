"""A rotation's PagerDuty integration and the sync status pd-sync-service reports for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from oncall_contracts.values import PagerDutyAccount, SealedCredential

Mode = Literal["own", "merge"]


@dataclass(frozen=True)
class Integration:
    """`own`: the rotation has its own schedule; `merge`: it is a layer of `target_rotation_id`'s.
    The API key is only ever held sealed."""

    rotation_id: str
    mode: Mode
    target_rotation_id: str
    schedule_name: str
    account: PagerDutyAccount
    credential: SealedCredential
    configured_at: datetime


@dataclass(frozen=True)
class SyncStatus:
    """The latest sync result of one of the rotation's schedules (`role`: primary or backup)."""

    rotation_id: str
    role: str
    schedule_id: str | None
    schedule_url: str | None
    layer_ids: list[str]
    synced_until: datetime | None
    last_synced_at: datetime | None
    last_error: str | None
    last_error_retryable: bool | None
    last_error_at: datetime | None
