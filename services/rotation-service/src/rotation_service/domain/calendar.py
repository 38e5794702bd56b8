"""Wall-clock calendar arithmetic: shift boundaries and coverage windows in a rotation's zone.

Every boundary is computed as a local wall-clock value first (naive datetime arithmetic, so a weekly
handoff stays at 09:00 and the shift over a DST change lasts 167 or 169 hours) and only then turned
into a UTC instant by `to_instant`, which resolves the two DST anomalies deterministically:

- a local time inside a gap (spring forward, e.g. 02:30 when clocks jump 02:00 -> 03:00) means the end
  of the gap, the first instant that exists (03:00 new time);
- a local time inside a fold (fall back, e.g. 01:30 happening twice) means its first occurrence.

Both rules keep the local -> UTC mapping non-decreasing, so boundaries never cross; a shift whose two
boundaries fall into the same gap would last zero time and is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rotation_service.domain.model import CoverageWindow, Interval, RotationSpec

ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Slot:
    """A shift boundary pair; `id` is derived from the local start, so recomputing never renames it."""

    id: str
    start: datetime
    end: datetime
    local_start: datetime
    local_end: datetime

    @property
    def wall_clock_seconds(self) -> int:
        """Length on the wall clock (a week is a week even over DST), the unit of fair load."""
        return int((self.local_end - self.local_start).total_seconds())


def to_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall-clock value (gap -> end of gap, fold -> first occurrence)."""
    instant = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local:
        return instant
    return _end_of_gap(local, zone)


def _end_of_gap(local: datetime, zone: ZoneInfo) -> datetime:
    # In a gap, fold=1 reads the time with the new offset (an instant before the transition) and fold=0
    # with the old one (after it); the transition lies between, at a whole second in tzdata.
    before = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    new_offset = after.astimezone(zone).utcoffset()
    low, high = 0, int((after - before).total_seconds())
    while low < high:
        middle = (low + high) // 2
        if (before + middle * ONE_SECOND).astimezone(zone).utcoffset() == new_offset:
            high = middle
        else:
            low = middle + 1
    return before + low * ONE_SECOND


def to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock value of an aware instant."""
    return instant.astimezone(zone).replace(tzinfo=None)


def slot_id(local_start: datetime) -> str:
    return local_start.isoformat(timespec="minutes")


def _local_boundaries(spec: RotationSpec, from_period: int) -> Iterator[datetime]:
    period = from_period
    while True:
        period_start = spec.first_shift_start + period * spec.period
        for handoff in spec.handoffs:
            yield period_start + handoff
        period += 1


def _first_period_near(spec: RotationSpec, since: datetime) -> int:
    # One period of slack covers the zone offset and the last handoff of the previous period.
    elapsed = to_local(since, spec.zone) - spec.first_shift_start
    return max(0, elapsed // spec.period - 1)


def shift_slots(spec: RotationSpec, since: datetime, until: datetime) -> list[Slot]:
    """The slots overlapping `[since, until)`, in order; none start before `spec.first_shift_start`."""
    zone = spec.zone
    slots: list[Slot] = []
    boundaries = _local_boundaries(spec, _first_period_near(spec, since))
    local_start = next(boundaries)
    start = to_instant(local_start, zone)
    while start < until:
        local_end = next(boundaries)
        end = to_instant(local_end, zone)
        if end > since and end > start:
            slots.append(Slot(slot_id(local_start), start, end, local_start, local_end))
        local_start, start = local_end, end
    return slots


def _window_on(day: date, window: CoverageWindow, zone: ZoneInfo) -> Interval | None:
    local_start = datetime.combine(day, window.start)
    end_day = day + timedelta(days=1) if window.crosses_midnight else day
    start, end = to_instant(local_start, zone), to_instant(datetime.combine(end_day, window.end), zone)
    return Interval(start, end) if start < end else None


def coverage_intervals(spec: RotationSpec, since: datetime, until: datetime) -> list[Interval]:
    """The coverage windows overlapping `[since, until)` (the whole range when there is no window).

    Windows are wall-clock times of each local day, so an 08:00-16:00 window is 8 hours on every day,
    and a 22:00-06:00 window is 7 or 9 hours on the nights the clocks change. Not clipped to the range.
    """
    if spec.coverage is None:
        return [Interval(since, until)] if since < until else []
    zone = spec.zone
    day = to_local(since, zone).date() - timedelta(days=1)
    last_day = to_local(until, zone).date()
    windows = []
    while day <= last_day:
        window = _window_on(day, spec.coverage, zone)
        if window is not None and window.overlaps(since, until):
            windows.append(window)
        day += timedelta(days=1)
    return windows
