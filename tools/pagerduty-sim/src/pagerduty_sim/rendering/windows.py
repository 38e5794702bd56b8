"""Restriction windows: the wall-clock stretches of a day or week in which a layer may be on call."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pagerduty_sim.model.schedule import Restriction, RestrictionKind
from pagerduty_sim.rendering.turns import DstReading
from pagerduty_sim.timeutil import localize, wall_clock

Window = tuple[datetime, datetime]


def restriction_windows(
    restrictions: tuple[Restriction, ...], low: datetime, high: datetime, tz: ZoneInfo, reading: DstReading
) -> list[Window]:
    """All windows overlapping [low, high), whole (not cut at the bounds), merged and sorted."""
    windows = sorted(
        window for restriction in restrictions for window in _windows_of(restriction, low, high, tz, reading)
    )
    merged: list[Window] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _windows_of(
    restriction: Restriction, low: datetime, high: datetime, tz: ZoneInfo, reading: DstReading
) -> Iterator[Window]:
    period_days = 7 if restriction.kind is RestrictionKind.WEEKLY else 1
    duration = timedelta(seconds=restriction.duration_seconds)
    lookback_days = period_days + math.ceil(restriction.duration_seconds / 86_400) + 1
    day = wall_clock(low, tz).date() - timedelta(days=lookback_days)
    if restriction.kind is RestrictionKind.WEEKLY:
        wanted = restriction.start_day_of_week or 1
        day += timedelta(days=(wanted - day.isoweekday()) % 7)
    last_day = wall_clock(high, tz).date()
    while day <= last_day:
        local_start = datetime.combine(day, restriction.start_time_of_day)
        start = localize(local_start, tz)
        wall_clock_end = reading is DstReading.WALLCLOCK
        end = localize(local_start + duration, tz) if wall_clock_end else start + duration
        if end > low and start < high:
            yield start, end
        day += timedelta(days=period_days)
