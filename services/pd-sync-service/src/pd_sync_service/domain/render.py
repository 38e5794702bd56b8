"""What PagerDuty shows for a list of layers (current versions), under either DST reading.

Used to decide whether PagerDuty already matches: a layer someone edited by hand may render
differently under the two readings, so both are checked.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pd_sync_service.domain.model import Assignment, Layer, Restriction
from pd_sync_service.domain.timeline import clip_to, merge_adjacent, overlay

DAY = 86_400


class Reading(StrEnum):
    """FIXED: durations are elapsed seconds. WALLCLOCK: whole-day turns and restriction windows keep
    wall-clock times in the schedule's zone."""

    FIXED = "fixed"
    WALLCLOCK = "wallclock"


def render(
    layers: Sequence[Layer], zone: str, since: datetime, until: datetime, reading: Reading
) -> list[Assignment]:
    """The final schedule over [since, until): later layers win where layers overlap."""
    tz = ZoneInfo(zone)
    final: list[Assignment] = []
    for layer in layers:
        final = overlay(final, render_layer(layer, tz, since, until, reading))
    return merge_adjacent(final)


def render_layer(
    layer: Layer, tz: ZoneInfo, since: datetime, until: datetime, reading: Reading
) -> list[Assignment]:
    low = max(since, layer.start)
    high = until if layer.end is None else min(until, layer.end)
    if low >= high or not layer.user_ids:
        return []
    entries = [
        Assignment(max(start, low), min(end, high), layer.user_ids[k % len(layer.user_ids)])
        for start, end, k in _turns(layer, tz, low, high, reading)
    ]
    if layer.restrictions:
        windows = _merge(sorted(w for r in layer.restrictions for w in _windows(r, tz, low, high, reading)))
        entries = clip_to(entries, windows)
    return entries


def _turn_start(layer: Layer, tz: ZoneInfo, k: int, reading: Reading) -> datetime:
    if reading is Reading.WALLCLOCK and layer.turn_seconds % DAY == 0:
        wall = layer.virtual_start.astimezone(tz).replace(tzinfo=None)
        return _localize(wall + timedelta(days=k * layer.turn_seconds // DAY), tz)
    return layer.virtual_start + timedelta(seconds=k * layer.turn_seconds)


def _turns(
    layer: Layer, tz: ZoneInfo, low: datetime, high: datetime, reading: Reading
) -> Iterator[tuple[datetime, datetime, int]]:
    k = math.floor((low - layer.virtual_start).total_seconds() / layer.turn_seconds)
    while _turn_start(layer, tz, k, reading) > low:
        k -= 1
    while _turn_start(layer, tz, k + 1, reading) <= low:
        k += 1
    start = _turn_start(layer, tz, k, reading)
    while start < high:
        end = _turn_start(layer, tz, k + 1, reading)
        yield start, end, k
        start, k = end, k + 1


def _windows(
    restriction: Restriction, tz: ZoneInfo, low: datetime, high: datetime, reading: Reading
) -> Iterator[tuple[datetime, datetime]]:
    period = 7 if restriction.start_day_of_week is not None else 1
    duration = timedelta(seconds=restriction.duration_seconds)
    day = low.astimezone(tz).date() - timedelta(days=period + 2 + restriction.duration_seconds // DAY)
    if restriction.start_day_of_week is not None:
        day += timedelta(days=(restriction.start_day_of_week - day.isoweekday()) % 7)
    last = high.astimezone(tz).date()
    while day <= last:
        wall = datetime.combine(day, restriction.start_time_of_day)
        start = _localize(wall, tz)
        end = _localize(wall + duration, tz) if reading is Reading.WALLCLOCK else start + duration
        if end > low and start < high:
            yield start, end
        day += timedelta(days=period)


def _merge(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _localize(wall: datetime, tz: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
