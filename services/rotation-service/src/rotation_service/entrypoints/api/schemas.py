"""Request and response bodies of the REST API (field names are the published API)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from oncall_contracts import limits
from rotation_service.domain.listing import RotationOverview
from rotation_service.domain.model import CoverageWindow, Member, RotationSpec, Shift
from rotation_service.domain.rotation import Rotation
from rotation_service.domain.shift_requests import ShiftRequest


class Coverage(BaseModel):
    start: time
    end: time


class RotationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=limits.ROTATION_NAME)
    time_zone: str = Field(max_length=limits.TIME_ZONE)
    first_shift_start: datetime = Field(description="local wall clock in time_zone, e.g. 2026-12-07T09:00:00")
    period: timedelta = Field(default=timedelta(days=7), description="ISO 8601 duration, e.g. P7D")
    handoffs: list[timedelta] = Field(
        default_factory=lambda: [timedelta(0)], max_length=limits.HANDOFFS_PER_PERIOD
    )
    coverage: Coverage | None = None
    backup: bool = False
    horizon_days: int = 182

    def spec(self) -> RotationSpec:
        return RotationSpec(
            time_zone=self.time_zone,
            period=self.period,
            first_shift_start=self.first_shift_start,
            handoffs=tuple(self.handoffs),
            coverage=CoverageWindow(self.coverage.start, self.coverage.end) if self.coverage else None,
            backup=self.backup,
            horizon_days=self.horizon_days,
        )


class RotationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=limits.ROTATION_NAME)
    time_zone: str | None = Field(default=None, max_length=limits.TIME_ZONE)
    first_shift_start: datetime | None = None
    period: timedelta | None = None
    handoffs: list[timedelta] | None = Field(default=None, max_length=limits.HANDOFFS_PER_PERIOD)
    coverage: Coverage | None = None
    backup: bool | None = None
    horizon_days: int | None = None

    def spec(self, current: RotationSpec) -> RotationSpec | None:
        """The new settings, or None when the patch changes no setting (only the name, say)."""
        fields = self.model_fields_set - {"name"}
        if not fields:
            return None
        coverage = current.coverage
        if "coverage" in fields:
            coverage = CoverageWindow(self.coverage.start, self.coverage.end) if self.coverage else None
        return RotationSpec(
            time_zone=self.time_zone or current.time_zone,
            period=self.period or current.period,
            first_shift_start=self.first_shift_start or current.first_shift_start,
            handoffs=tuple(self.handoffs) if self.handoffs is not None else current.handoffs,
            coverage=coverage,
            backup=current.backup if self.backup is None else self.backup,
            horizon_days=self.horizon_days or current.horizon_days,
        )


class Span(BaseModel):
    start: AwareDatetime
    end: AwareDatetime


class MemberCreate(BaseModel):
    """A member becomes a PagerDuty user: e-mail and name within PagerDuty's limits for users."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=limits.PAGERDUTY_EMAIL)
    name: str = Field(max_length=limits.PERSON_NAME)
    time_zone: str = Field(max_length=limits.TIME_ZONE)


class MemberOut(BaseModel):
    email: str
    name: str
    time_zone: str
    joined_at: datetime
    unavailable: list[Span]

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        spans = [Span(start=s.start, end=s.end) for s in member.unavailable]
        return cls(
            email=member.email,
            name=member.name,
            time_zone=member.time_zone,
            joined_at=member.joined_at,
            unavailable=spans,
        )


class RotationOut(BaseModel):
    id: str
    name: str
    time_zone: str
    first_shift_start: datetime
    period: timedelta
    handoffs: list[timedelta]
    coverage: Coverage | None
    backup: bool
    horizon_days: int
    admins: list[str]
    members: list[MemberOut]

    @classmethod
    def of(cls, rotation: Rotation | RotationOverview) -> RotationOut:
        spec = rotation.spec
        return cls(
            id=rotation.id,
            name=rotation.name,
            time_zone=spec.time_zone,
            first_shift_start=spec.first_shift_start,
            period=spec.period,
            handoffs=list(spec.handoffs),
            coverage=Coverage(start=spec.coverage.start, end=spec.coverage.end) if spec.coverage else None,
            backup=spec.backup,
            horizon_days=spec.horizon_days,
            admins=sorted(rotation.admins),
            members=[MemberOut.of(m) for m in rotation.members.values()],
        )


class ShiftOut(BaseModel):
    id: str
    start: datetime
    end: datetime
    primary: str | None
    backup: str | None
    conflict: bool
    pinned: bool

    @classmethod
    def of(cls, shift: Shift) -> ShiftOut:
        return cls(
            id=shift.id,
            start=shift.start,
            end=shift.end,
            primary=shift.primary,
            backup=shift.backup,
            conflict=shift.conflict,
            pinned=shift.pinned,
        )


class ShiftPatch(BaseModel):
    """An administrator's hand-assignment (holders ask with a shift request instead)."""

    model_config = ConfigDict(extra="forbid")

    primary: str | None = Field(default=None, max_length=limits.EMAIL)
    backup: str | None = Field(default=None, max_length=limits.EMAIL)


class ShiftSwap(BaseModel):
    """An administrator exchanges the people of this shift with those of another future shift."""

    model_config = ConfigDict(extra="forbid")

    with_shift_id: str = Field(max_length=limits.ID)


class OnCallOut(BaseModel):
    start: datetime
    end: datetime
    email: str


class OwnSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["own"]
    schedule_name: str | None = Field(default=None, max_length=limits.SCHEDULE_NAME)
    subdomain: str = Field(
        max_length=limits.SUBDOMAIN, pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
    )
    api_key: SecretStr | None = Field(
        default=None,
        min_length=8,
        max_length=limits.API_KEY,
        description="a PagerDuty REST API key that is not read-only; omit it to keep the key already saved "
        "for this rotation's own schedule in the same account",
    )
    region: Literal["us", "eu"] = "us"


class MergeSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["merge"]
    merge_with: str = Field(max_length=limits.ID)


PagerDutyConfig = Annotated[OwnSchedule | MergeSchedule, Field(discriminator="mode")]
"""Told apart by ``mode``, so a 422 names the fields of the mode the caller chose."""


class Account(BaseModel):
    subdomain: str
    region: str


class ScheduleStatus(BaseModel):
    role: str
    schedule_id: str | None
    schedule_url: str | None
    layer_ids: list[str]
    synced_until: datetime | None
    last_synced_at: datetime | None


class SyncError(BaseModel):
    role: str
    reason: str
    retryable: bool | None
    at: datetime | None


class WaitingFor(BaseModel):
    """Someone the sync waits for: no PagerDuty user in the account yet. `provisioning` is `pending`
    while the user is being created, `failed` with the provisioner's `reason` when it could not be
    (`retryable`: the provisioner tries again by itself)."""

    email: str
    name: str | None
    provisioning: Literal["pending", "failed"]
    reason: str | None
    retryable: bool | None


class PagerDutyOut(BaseModel):
    """The integration as users see it; the API key is never part of it."""

    rotation_id: str
    mode: str
    target_rotation_id: str
    schedule_name: str
    account: Account
    configured_at: datetime
    schedules: list[ScheduleStatus]
    last_sync: datetime | None
    last_error: SyncError | None
    waiting_for: list[WaitingFor] = Field(
        default_factory=list, description="whom the sync waits for before it writes the schedule"
    )


class MergeCandidate(BaseModel):
    rotation_id: str
    name: str
    time_zone: str
    coverage: Coverage | None


class MergedRotation(BaseModel):
    """A rotation that writes its layer into this rotation's PagerDuty schedule."""

    rotation_id: str
    name: str
    time_zone: str
    coverage: Coverage | None
    backup: bool
    admins: list[str]
    merged_at: datetime


class HandOverRequest(BaseModel):
    """Ask `to` to take your `role` of the shift."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["hand_over"]
    shift_id: str = Field(max_length=limits.ID)
    role: Literal["primary", "backup"] = "primary"
    to: str = Field(max_length=limits.EMAIL)


class SwapRequest(BaseModel):
    """Ask whoever holds `role` of `with_shift_id` to exchange it with your `role` of `shift_id`."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["swap"]
    shift_id: str = Field(max_length=limits.ID)
    role: Literal["primary", "backup"] = "primary"
    with_shift_id: str = Field(max_length=limits.ID)


ShiftRequestCreate = Annotated[HandOverRequest | SwapRequest, Field(discriminator="kind")]


class ShiftRequestOut(BaseModel):
    id: str
    rotation_id: str
    kind: str
    shift_id: str
    other_shift_id: str | None
    role: str
    requested_by: str
    requested_of: str
    state: str
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    forced: bool

    @classmethod
    def of(cls, request: ShiftRequest, now: datetime) -> ShiftRequestOut:
        return cls(
            id=request.id,
            rotation_id=request.rotation_id,
            kind=request.kind,
            shift_id=request.shift_id,
            other_shift_id=request.other_shift_id,
            role=request.role,
            requested_by=request.requested_by,
            requested_of=request.requested_of,
            state=request.state_at(now),
            created_at=request.created_at,
            expires_at=request.expires_at,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
            forced=request.forced,
        )
