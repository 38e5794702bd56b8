"""Values of the PagerDuty sync domain. Instants are aware UTC datetimes on whole minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time


@dataclass(frozen=True)
class Assignment:
    """`user_id` is on call over [start, end)."""

    start: datetime
    end: datetime
    user_id: str


@dataclass(frozen=True)
class DailyWindow:
    """A daily wall-clock window; `end <= start` crosses midnight; `start == end` is invalid."""

    start: time
    end: time


@dataclass(frozen=True)
class Restriction:
    """A PagerDuty layer restriction (`daily_restriction` unless `start_day_of_week` is set)."""

    start_time_of_day: time
    duration_seconds: int
    start_day_of_week: int | None = None

    @property
    def kind(self) -> str:
        return "daily_restriction" if self.start_day_of_week is None else "weekly_restriction"


@dataclass(frozen=True)
class Layer:
    """One PagerDuty schedule layer (its current version).

    `id` is PagerDuty's (None until created); `owner` is the rotation id the layer belongs to (None for
    a layer we did not write).
    """

    name: str
    start: datetime
    end: datetime | None
    virtual_start: datetime
    turn_seconds: int
    user_ids: tuple[str, ...]
    restrictions: tuple[Restriction, ...] = ()
    id: str | None = None
    owner: str | None = None

    def is_live(self, now: datetime) -> bool:
        return self.end is None or self.end > now


@dataclass(frozen=True)
class RotationSource:
    """What one rotation contributes to a PagerDuty schedule for one role.

    `assignments` are its shifts for that role with PagerDuty user ids, not yet clipped to `coverage`
    (a daily window in `time_zone`).
    """

    rotation_id: str
    name: str
    time_zone: str
    coverage: DailyWindow | None
    assignments: tuple[Assignment, ...]
