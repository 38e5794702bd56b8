"""Turns of a layer and the two readings of a turn length across DST changes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pagerduty_sim.model.schedule import LayerSpec
from pagerduty_sim.timeutil import localize, wall_clock

SECONDS_PER_DAY = 86_400


class DstReading(StrEnum):
    """How durations are read across a DST change (an open point of the PagerDuty API).

    FIXED: a turn or restriction lasts exactly its number of elapsed seconds.
    WALLCLOCK: a turn of whole days, and a restriction window, keep local wall-clock times in the
    schedule's zone (a weekly turn over a DST change lasts 167 or 169 hours).
    """

    FIXED = "fixed"
    WALLCLOCK = "wallclock"


def turn_start_function(spec: LayerSpec, tz: ZoneInfo, reading: DstReading) -> Callable[[int], datetime]:
    """Return k -> the instant turn k begins; turn 0 begins at `rotation_virtual_start`.

    Under WALLCLOCK, turn lengths that are not whole days are still read as elapsed seconds (an
    hourly turn has no wall-clock handoff to keep).
    """
    length = spec.turn_length_seconds
    if reading is DstReading.WALLCLOCK and length % SECONDS_PER_DAY == 0:
        anchor = wall_clock(spec.rotation_virtual_start, tz)
        step = timedelta(days=length // SECONDS_PER_DAY)
        return lambda k: localize(anchor + k * step, tz)
    origin = spec.rotation_virtual_start
    return lambda k: origin + timedelta(seconds=k * length)


def turns(
    spec: LayerSpec, low: datetime, high: datetime, tz: ZoneInfo, reading: DstReading
) -> Iterator[tuple[datetime, datetime, int]]:
    """Yield (start, end, k) for every turn overlapping [low, high), in order."""
    turn_start = turn_start_function(spec, tz, reading)
    elapsed = (low - spec.rotation_virtual_start).total_seconds()
    k = math.floor(elapsed / spec.turn_length_seconds)
    while turn_start(k) > low:
        k -= 1
    while turn_start(k + 1) <= low:
        k += 1
    start = turn_start(k)
    while start < high:
        end = turn_start(k + 1)
        yield start, end, k
        start, k = end, k + 1
