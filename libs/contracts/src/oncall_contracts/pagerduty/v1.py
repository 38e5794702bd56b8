"""PagerDuty stream, version 1: provisioning and sync results."""

from __future__ import annotations

from typing import ClassVar, Literal

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


class PagerDutyUserMissing(_AccountPayload):
    """PagerDuty no longer has the user last provisioned for `email` (`user_id`): it was deleted, or its
    e-mail was changed. The sync asks for the user again; the provisioner finds it by e-mail or creates
    it and announces `PagerDutyUserProvisioned`, then the sync writes the schedules again."""

    EVENT_TYPE: ClassVar[str] = "PagerDutyUserMissing"
    EVENT_VERSION: ClassVar[int] = 1

    email: Email
    user_id: Identifier
    reason: Reason


class UserProvisioningFailed(_AccountPayload):
    EVENT_TYPE: ClassVar[str] = "UserProvisioningFailed"
    EVENT_VERSION: ClassVar[int] = 1

    email: Email
    reason: Reason
    retryable: bool


DriftRepair = Literal[
    "layers_edited",  # a layer's users, turns, times or restrictions were changed by hand
    "layer_added",  # a layer nobody asked for showed up
    "layer_deleted",  # a layer the sync owns was deleted or ended
    "schedule_deleted",  # created again
    "schedule_renamed",
    "time_zone_changed",
]


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
    repairs: list[DriftRepair] = Field(default_factory=list)  # what was repaired, when drift_repaired


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
    PagerDutyUserMissing,
    UserProvisioningFailed,
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
)
