"""PagerDuty stream, version 1: provisioning and sync results."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from oncall_contracts import limits
from oncall_contracts.fields import Email, Identifier, PersonName, Reason, RotationId, Url, UtcDatetime
from oncall_contracts.payload import Payload, RotationPayload, Stream
from oncall_contracts.values import PagerDutyAccount, Role


class _AccountPayload(Payload):
    """Keyed by the PagerDuty account key, so one account's user events stay in order."""

    STREAM: ClassVar[Stream] = "pagerduty"
    account: PagerDutyAccount

    def subject(self) -> str:
        return self.account.key


class _SchedulePayload(RotationPayload):
    STREAM: ClassVar[Stream] = "pagerduty"


class PagerDutyUserProvisioned(_AccountPayload):
    EVENT_TYPE: ClassVar[str] = "PagerDutyUserProvisioned"
    EVENT_VERSION: ClassVar[int] = 1

    email: Email
    user_id: Identifier
    name: PersonName


class UserProvisioningFailed(_AccountPayload):
    EVENT_TYPE: ClassVar[str] = "UserProvisioningFailed"
    EVENT_VERSION: ClassVar[int] = 1

    email: Email
    reason: Reason
    retryable: bool


class ScheduleSynced(_SchedulePayload):
    EVENT_TYPE: ClassVar[str] = "ScheduleSynced"
    EVENT_VERSION: ClassVar[int] = 1

    rotation_id: RotationId
    role: Role
    schedule_id: Identifier
    schedule_url: Url
    layer_ids: list[Identifier] = Field(default_factory=list)
    synced_until: UtcDatetime
    requests_spent: int = Field(ge=0)
    drift_repaired: bool = False


class ScheduleSyncFailed(_SchedulePayload):
    EVENT_TYPE: ClassVar[str] = "ScheduleSyncFailed"
    EVENT_VERSION: ClassVar[int] = 1

    rotation_id: RotationId
    role: Role
    reason: Reason
    retryable: bool


class ScheduleSyncWaiting(_SchedulePayload):
    """The schedule is not written yet because some people it shows have no PagerDuty user in its
    account yet (being provisioned, or provisioning failed). The next ScheduleSynced or
    ScheduleSyncFailed of the same rotation and role ends the wait."""

    EVENT_TYPE: ClassVar[str] = "ScheduleSyncWaiting"
    EVENT_VERSION: ClassVar[int] = 1

    rotation_id: RotationId
    role: Role
    waiting_for: list[Email] = Field(min_length=1, max_length=limits.WAITING_FOR)


PAGERDUTY_EVENTS_V1: tuple[type[Payload], ...] = (
    PagerDutyUserProvisioned,
    UserProvisioningFailed,
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
)
