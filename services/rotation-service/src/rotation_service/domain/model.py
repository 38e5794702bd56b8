"""Value objects of the scheduler: rotation settings, members, shifts and timeline entries.

All instants are aware UTC datetimes; local wall-clock values (in the rotation's zone) are naive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oncall_contracts import limits
from rotation_service.domain.errors import InvalidRotation

Role = Literal["primary", "backup"]
ROLES: tuple[Role, ...] = ("primary", "backup")

MAX_PERIOD = timedelta(days=limits.PERIOD_DAYS)
MIN_HORIZON_DAYS = 1
MAX_HORIZON_DAYS = limits.HORIZON_DAYS


def zone_of(key: str) -> ZoneInfo:
    """The IANA zone named `key`; raises InvalidRotation("time_zone", ...) when it does not exist."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidRotation("time_zone", f"unknown IANA time zone {key!r}") from error


def require_utc(name: str, value: datetime) -> None:
    """Raise InvalidRotation unless `value` is an aware datetime (the domain's instants)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRotation(name, "must be an aware (UTC) instant")


def _is_whole_minute(delta: timedelta) -> bool:
    return delta % timedelta(minutes=1) == timedelta(0)


@dataclass(frozen=True)
class CoverageWindow:
    """Daily on-call window in the rotation's zone; `end <= start` means it crosses midnight."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def validate(self) -> None:
        """Raise InvalidRotation("coverage", ...) for an empty window or zone-aware times."""
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidRotation("coverage", "times are wall-clock times in the rotation's zone (naive)")
        if self.start == self.end:
            raise InvalidRotation("coverage", "start and end are equal; omit the window for 24 h coverage")
        if self.start.second or self.start.microsecond or self.end.second or self.end.microsecond:
            raise InvalidRotation("coverage", "times must be whole minutes")


@dataclass(frozen=True)
class RotationSpec:
    """How a rotation repeats: zone, period, anchor, handoffs, coverage, backup pattern, horizon.

    `handoffs` are offsets from the start of each period (the first period starts at
    `first_shift_start`, local wall-clock); each handoff ends one shift and begins the next.
    """

    time_zone: str
    period: timedelta
    first_shift_start: datetime
    handoffs: tuple[timedelta, ...]
    coverage: CoverageWindow | None = None
    backup: bool = False
    horizon_days: int = 182

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.time_zone)

    @property
    def planned_shifts(self) -> int:
        """About how many shifts the horizon holds (what one allocation works through)."""
        return math.ceil(self.horizon_days * len(self.handoffs) / max(self.period.days, 1))

    @property
    def roles(self) -> tuple[Role, ...]:
        """The roles every shift of this rotation needs filled."""
        return ROLES if self.backup else ("primary",)

    def validate(self) -> None:
        """Raise InvalidRotation(field, message) for the first invalid setting found."""
        zone_of(self.time_zone)
        self._validate_period()
        self._validate_first_shift_start()
        self._validate_handoffs()
        if self.coverage is not None:
            self.coverage.validate()
        if not MIN_HORIZON_DAYS <= self.horizon_days <= MAX_HORIZON_DAYS:
            raise InvalidRotation(
                "horizon_days", f"must be between {MIN_HORIZON_DAYS} and {MAX_HORIZON_DAYS} days"
            )
        if self.planned_shifts > limits.SHIFTS_PER_ROTATION:
            raise InvalidRotation(
                "horizon_days",
                f"{self.horizon_days} days hold {self.planned_shifts} shifts; a rotation plans at most "
                f"{limits.SHIFTS_PER_ROTATION}: shorten the horizon or use fewer handoffs",
            )

    def _validate_period(self) -> None:
        if self.period <= timedelta(0) or self.period % timedelta(days=1) != timedelta(0):
            raise InvalidRotation("period", "must be a positive whole number of days")
        if self.period > MAX_PERIOD:
            raise InvalidRotation("period", f"must be at most {MAX_PERIOD.days} days")

    def _validate_first_shift_start(self) -> None:
        if self.first_shift_start.tzinfo is not None:
            raise InvalidRotation("first_shift_start", "must be a local wall-clock date-time (no offset)")
        if self.first_shift_start.second or self.first_shift_start.microsecond:
            raise InvalidRotation("first_shift_start", "must be a whole minute")

    def _validate_handoffs(self) -> None:
        if not self.handoffs:
            raise InvalidRotation("handoffs", "at least one handoff is required")
        if len(self.handoffs) > limits.HANDOFFS_PER_PERIOD:
            raise InvalidRotation(
                "handoffs", f"{len(self.handoffs)} handoffs; at most {limits.HANDOFFS_PER_PERIOD} a period"
            )
        for handoff in self.handoffs:
            if not timedelta(0) <= handoff < self.period:
                raise InvalidRotation("handoffs", f"{handoff} is outside the period [0, {self.period})")
            if not _is_whole_minute(handoff):
                raise InvalidRotation("handoffs", f"{handoff} is not a whole minute")
        if len(set(self.handoffs)) != len(self.handoffs):
            raise InvalidRotation("handoffs", "handoffs are duplicated")
        if list(self.handoffs) != sorted(self.handoffs):
            raise InvalidRotation("handoffs", "handoffs must be in increasing order")


@dataclass(frozen=True)
class Interval:
    """A half-open span of time `[start, end)` between two aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_utc("start", self.start)
        require_utc("end", self.end)
        if not self.start < self.end:
            raise InvalidRotation("end", "must be after start")

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class Member:
    """A person in the rotation; `unavailable` lists the spans they must not be on call."""

    email: str
    name: str
    time_zone: str
    joined_at: datetime
    unavailable: tuple[Interval, ...] = ()

    def validate(self) -> None:
        """Raise InvalidRotation for an empty or malformed e-mail, empty name or unknown zone."""
        local, _, domain = self.email.partition("@")
        if not local or "." not in domain or any(c.isspace() for c in self.email):
            raise InvalidRotation("email", f"{self.email!r} is not an e-mail address")
        if not self.name.strip():
            raise InvalidRotation("name", "must not be empty")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise InvalidRotation("time_zone", f"unknown IANA time zone {self.time_zone!r}") from error
        require_utc("joined_at", self.joined_at)

    def is_available(self, start: datetime, end: datetime) -> bool:
        """True when no unavailable span overlaps `[start, end)`."""
        return not any(span.overlaps(start, end) for span in self.unavailable)

    def with_unavailability(self, interval: Interval) -> Member:
        return replace(self, unavailable=(*self.unavailable, interval))


@dataclass(frozen=True)
class Shift:
    """One concrete shift; `pinned` marks a hand-made assignment that reallocation keeps.

    `conflict` is True when a role the rotation needs could not be filled because nobody was free.
    """

    id: str
    start: datetime
    end: datetime
    primary: str | None
    backup: str | None
    conflict: bool = False
    pinned: bool = False

    def person(self, role: Role) -> str | None:
        return self.primary if role == "primary" else self.backup

    def holds(self, email: str) -> bool:
        return email in (self.primary, self.backup)

    def with_person(self, role: Role, email: str | None) -> Shift:
        return replace(self, primary=email) if role == "primary" else replace(self, backup=email)


@dataclass(frozen=True)
class OnCallEntry:
    """`email` is on call during `[start, end)`: exactly what PagerDuty must show."""

    start: datetime
    end: datetime
    email: str
