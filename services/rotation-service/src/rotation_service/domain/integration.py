"""A rotation's PagerDuty integration and the sync status pd-sync-service reports for it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    waiting_for: list[str] = field(default_factory=list)  # e-mails with no PagerDuty user yet
    waiting_reported_at: datetime | None = None


@dataclass(frozen=True)
class UserProvisioning:
    """What user-provisioner last reported for one e-mail in one PagerDuty account."""

    account_key: str
    email: str
    provisioned: bool
    reason: str | None  # why it failed
    retryable: bool | None  # the provisioner tries a retryable failure again by itself
    at: datetime


@dataclass(frozen=True)
class AwaitedPerson:
    """Someone the rotation's PagerDuty sync waits for: `pending` while the user is being created,
    `failed` when the provisioner reported why it could not (`reason`)."""

    email: str
    name: str | None
    state: Literal["pending", "failed"]
    reason: str | None
    retryable: bool | None


def awaited_people(
    statuses: Iterable[SyncStatus],
    provisioning: Mapping[str, UserProvisioning],
    names: Mapping[str, str],
) -> list[AwaitedPerson]:
    """Whom the sync waits for, by e-mail: what pd-sync reported, less those provisioned since, with
    the provisioner's latest word on each (`provisioning` by e-mail, in the integration's account)."""
    awaited: dict[str, AwaitedPerson] = {}
    for status in statuses:
        for email in status.waiting_for:
            outcome = provisioning.get(email)
            if outcome is not None and outcome.provisioned and _after(outcome.at, status.waiting_reported_at):
                continue
            failed = outcome is not None and not outcome.provisioned
            awaited[email] = AwaitedPerson(
                email=email,
                name=names.get(email),
                state="failed" if failed else "pending",
                reason=outcome.reason if failed and outcome is not None else None,
                retryable=outcome.retryable if failed and outcome is not None else None,
            )
    return [awaited[email] for email in sorted(awaited)]


def _after(at: datetime, reported_at: datetime | None) -> bool:
    return reported_at is None or at >= reported_at
