"""Rotation stream, version 1. Every event is keyed by its ``rotation_id``."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field, NaiveDatetime, model_validator

from oncall_contracts.fields import (
    Email,
    Identifier,
    PersonName,
    Revision,
    RotationId,
    RotationName,
    ScheduleName,
    TimeZoneName,
    UtcDatetime,
)
from oncall_contracts.payload import RotationPayload
from oncall_contracts.values import CoverageWindow, PagerDutyAccount, Role, SealedCredential


class _RotationSettings(RotationPayload):
    """The whole of a rotation's settings, so consumers never ask the rotation service."""

    name: RotationName
    time_zone: TimeZoneName
    period: timedelta
    first_shift_start: NaiveDatetime = Field(description="wall clock in time_zone; anchors the pattern")
    handoffs: list[timedelta] = Field(
        min_length=1, description="offsets from each period's start at which one shift ends"
    )
    coverage: CoverageWindow | None = None
    backup: bool = False
    horizon_days: int = Field(gt=0)

    @model_validator(mode="after")
    def _handoffs_inside_period(self) -> _RotationSettings:
        if self.period <= timedelta(0):
            raise ValueError("period must be positive")
        if any(not timedelta(0) <= handoff < self.period for handoff in self.handoffs):
            raise ValueError("every handoff must lie in [0, period)")
        if list(self.handoffs) != sorted(set(self.handoffs)):
            raise ValueError("handoffs must be strictly increasing")
        return self


class RotationCreated(_RotationSettings):
    EVENT_TYPE: ClassVar[str] = "RotationCreated"
    EVENT_VERSION: ClassVar[int] = 1


class RotationUpdated(_RotationSettings):
    EVENT_TYPE: ClassVar[str] = "RotationUpdated"
    EVENT_VERSION: ClassVar[int] = 1


class RotationDeleted(RotationPayload):
    EVENT_TYPE: ClassVar[str] = "RotationDeleted"
    EVENT_VERSION: ClassVar[int] = 1


class MemberAdded(RotationPayload):
    EVENT_TYPE: ClassVar[str] = "MemberAdded"
    EVENT_VERSION: ClassVar[int] = 1

    email: Email
    name: PersonName
    time_zone: TimeZoneName


class MemberRemoved(RotationPayload):
    EVENT_TYPE: ClassVar[str] = "MemberRemoved"
    EVENT_VERSION: ClassVar[int] = 1

    email: Email


class ShiftChanged(RotationPayload):
    """The latest state of one shift.

    ``revision`` is the rotation's shift revision: each command that changes shifts takes the next
    one, shared by the ShiftChanged events it causes, so per shift it strictly increases. A consumer
    drops any ShiftChanged whose revision is not above the last one it applied for that shift.
    """

    EVENT_TYPE: ClassVar[str] = "ShiftChanged"
    EVENT_VERSION: ClassVar[int] = 1

    shift_id: Identifier
    revision: Revision
    start: UtcDatetime
    end: UtcDatetime
    primary: Email | None = None
    backup: Email | None = None
    cancelled: bool = False
    conflict: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ShiftChanged:
        if self.start >= self.end:
            raise ValueError("shift start must be before its end")
        if self.primary is not None and self.primary == self.backup:
            raise ValueError("one person cannot be both primary and backup of a shift")
        return self


class IntegrationConfigured(RotationPayload):
    """The PagerDuty sync settings of a rotation; the API key travels sealed, never in plaintext.

    ``mode == "own"``: the rotation owns its schedule (``target_rotation_id == rotation_id``).
    ``mode == "merge"``: it writes a layer into the schedule owned by ``target_rotation_id``.
    """

    EVENT_TYPE: ClassVar[str] = "IntegrationConfigured"
    EVENT_VERSION: ClassVar[int] = 1

    rotation_name: RotationName
    mode: Literal["own", "merge"]
    target_rotation_id: RotationId
    schedule_name: ScheduleName
    account: PagerDutyAccount
    credential: SealedCredential
    time_zone: TimeZoneName
    schedule_time_zone: TimeZoneName
    coverage: CoverageWindow | None = None
    backup: bool = False
    revision: Revision

    @model_validator(mode="after")
    def _target_matches_mode(self) -> IntegrationConfigured:
        own_target = self.target_rotation_id == self.rotation_id
        if self.mode == "own" and not own_target:
            raise ValueError("mode 'own' needs target_rotation_id == rotation_id")
        if self.mode == "merge" and own_target:
            raise ValueError("mode 'merge' needs another rotation as target_rotation_id")
        return self


class IntegrationRemoved(RotationPayload):
    EVENT_TYPE: ClassVar[str] = "IntegrationRemoved"
    EVENT_VERSION: ClassVar[int] = 1

    revision: Revision


class _ShiftRequest(RotationPayload):
    """A request that shifts change hands, as it stands after the step the event reports.

    ``kind == "hand_over"``: ``requested_by`` gives their ``role`` of ``shift_id`` to ``requested_of``.
    ``kind == "swap"``: ``requested_by`` (the ``role`` of ``shift_id``) and ``requested_of`` (the same
    role of ``other_shift_id``) exchange those shifts. Shifts change only when a request is accepted,
    and then a ShiftChanged follows. Every event of one request carries the whole request, so a
    consumer (a notifier, say) needs no other state to tell both people what happened.
    """

    request_id: Identifier
    kind: Literal["hand_over", "swap"]
    shift_id: Identifier
    other_shift_id: Identifier | None = None
    role: Role
    requested_by: Email
    requested_of: Email
    expires_at: UtcDatetime

    @model_validator(mode="after")
    def _kind_matches_shifts(self) -> _ShiftRequest:
        if (self.kind == "swap") != (self.other_shift_id is not None):
            raise ValueError("a swap names other_shift_id, and only a swap does")
        if self.requested_by == self.requested_of:
            raise ValueError("a request asks someone else")
        return self


class _DecidedShiftRequest(_ShiftRequest):
    decided_by: Email
    forced: bool = Field(
        default=False, description="decided by an administrator of the rotation instead of the person asked"
    )


class ShiftRequested(_ShiftRequest):
    """``requested_by`` asks ``requested_of``; it stays open until ``expires_at``."""

    EVENT_TYPE: ClassVar[str] = "ShiftRequested"
    EVENT_VERSION: ClassVar[int] = 1


class ShiftRequestAccepted(_DecidedShiftRequest):
    """The shifts changed hands (a ShiftChanged with the new people follows in the same stream)."""

    EVENT_TYPE: ClassVar[str] = "ShiftRequestAccepted"
    EVENT_VERSION: ClassVar[int] = 1


class ShiftRequestDeclined(_DecidedShiftRequest):
    EVENT_TYPE: ClassVar[str] = "ShiftRequestDeclined"
    EVENT_VERSION: ClassVar[int] = 1


class ShiftRequestCancelled(_DecidedShiftRequest):
    """Withdrawn by the person who asked (or an administrator)."""

    EVENT_TYPE: ClassVar[str] = "ShiftRequestCancelled"
    EVENT_VERSION: ClassVar[int] = 1


class ShiftRequestExpired(_ShiftRequest):
    """Nobody decided before ``expires_at`` (at the latest, when the first shift involved starts)."""

    EVENT_TYPE: ClassVar[str] = "ShiftRequestExpired"
    EVENT_VERSION: ClassVar[int] = 1


class ShiftRequestOutdated(_ShiftRequest):
    """Cancelled because its shifts changed after it was asked, so it could no longer be accepted:
    ``member_left`` (the person who asked or was asked left the rotation), ``shift_changed_hands``
    (a role it names went to someone else: reassigned by an administrator, or another request was
    accepted) or ``shift_removed`` (a settings change removed a shift it names).
    Nobody decided it and nothing changed hands; ``changed_by`` made the change (None: the service
    itself, e.g. planning ahead)."""

    EVENT_TYPE: ClassVar[str] = "ShiftRequestOutdated"
    EVENT_VERSION: ClassVar[int] = 1

    reason: Literal["member_left", "shift_changed_hands", "shift_removed"]
    changed_by: Email | None = None


ROTATION_EVENTS_V1: tuple[type[RotationPayload], ...] = (
    RotationCreated,
    RotationUpdated,
    RotationDeleted,
    MemberAdded,
    MemberRemoved,
    ShiftChanged,
    IntegrationConfigured,
    IntegrationRemoved,
    ShiftRequested,
    ShiftRequestAccepted,
    ShiftRequestDeclined,
    ShiftRequestCancelled,
    ShiftRequestExpired,
    ShiftRequestOutdated,
)
