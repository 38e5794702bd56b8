"""The desired PagerDuty layers of one rotation: its concrete timeline, exact under every DST reading.

PagerDuty does not document whether a turn length or a restriction duration counts elapsed seconds or
wall-clock time across a DST change. The layers written here render the same under both readings
because none of them lets that question arise:

- a layer whose user list rotates has no DST change (of the schedule's or the rotation's zone) from
  two hours before its `rotation_virtual_start` to its `end`; before such a change the timeline is
  cut into layers with future `start` and `end`, one set per DST period;
- a layer with one user renders that user in every turn, whatever the turn boundaries are;
- a daily restriction is used only away from DST changes (and, when the rotation's zone differs from
  the schedule's, only while both offsets are constant, so the window's wall-clock start is fixed);
  a coverage window near a change is written as unrestricted layers covering exactly that window.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pd_sync_service.domain.model import Assignment, DailyWindow, Layer, Restriction, RotationSource
from pd_sync_service.domain.timeline import normalise
from pd_sync_service.domain.zones import daily_windows, transitions, utc_offset

MIN_TURN = 3_600
MAX_TURN = 31_536_000
SINGLE_USER_TURN = 604_800
SAME_ZONE_MARGIN = timedelta(hours=2)
# With two zones, a restriction computed on a day before a change must not reach a layer after it.
CROSS_ZONE_MARGIN = timedelta(hours=26)
ANCHOR_MARGIN = timedelta(hours=2)
LOOKAROUND = timedelta(days=2)

Span = tuple[datetime, datetime]


def desired_layers(
    source: RotationSource, schedule_zone: str, since: datetime, until: datetime
) -> list[Layer]:
    """Layers reproducing `source`'s timeline over [since, until) in a schedule of `schedule_zone`.

    `since` and `until` are whole minutes. Every layer is named after the rotation and owned by it.
    """
    runs = normalise(source.assignments, since, until)
    if not runs:
        return []
    sched_tz, rot_tz = ZoneInfo(schedule_zone), ZoneInfo(source.time_zone)
    zones = [sched_tz] if source.coverage is None else [sched_tz, rot_tz]
    criticals = sorted({t for z in zones for t in transitions(z, since - LOOKAROUND, until + LOOKAROUND)})
    layers: list[Layer] = []
    for span, restriction in _segments(source, sched_tz, rot_tz, criticals, since, until):
        for group in _contiguous_groups(_clip(runs, span)):
            layers.extend(_layout(group, restriction, criticals))
    return [
        Layer(
            name=source.name,
            start=layer.start,
            end=layer.end,
            virtual_start=layer.virtual_start,
            turn_seconds=layer.turn_seconds,
            user_ids=layer.user_ids,
            restrictions=layer.restrictions,
            owner=source.rotation_id,
        )
        for layer in sorted(layers, key=lambda item: item.start)
    ]


def _segments(
    source: RotationSource,
    sched_tz: ZoneInfo,
    rot_tz: ZoneInfo,
    criticals: list[datetime],
    since: datetime,
    until: datetime,
) -> list[tuple[Span, Restriction | None]]:
    """Spans of time with the restriction each is written with (None: unrestricted)."""
    if source.coverage is None:
        return [(span, None) for span in _split((since, until), criticals)]
    margin = SAME_ZONE_MARGIN if sched_tz.key == rot_tz.key else CROSS_ZONE_MARGIN
    coverage = source.coverage
    windows = daily_windows(coverage.start, coverage.end, rot_tz, since - LOOKAROUND, until + LOOKAROUND)
    unsafe = _unsafe_windows(windows, criticals, margin)
    bad = _merge([(t - margin, t + margin) for t in criticals] + [(w0, w1 + margin) for w0, w1 in unsafe])
    segments: list[tuple[Span, Restriction | None]] = []
    for span in _complement(bad, since, until):
        segments.append((span, _restriction(coverage, sched_tz, rot_tz, span[0])))
    for window in unsafe:
        lo, hi = max(window[0], since), min(window[1], until)
        if lo < hi:
            segments.extend((span, None) for span in _split((lo, hi), criticals))
    return sorted(segments, key=lambda item: item[0][0])


def _unsafe_windows(windows: list[Span], criticals: list[datetime], margin: timedelta) -> list[Span]:
    """Windows near a DST change, and windows starting soon after one of those ends."""
    unsafe: list[Span] = []
    for start, end in windows:
        near_change = any(start < t + margin and end > t - margin for t in criticals)
        follows_unsafe = bool(unsafe) and unsafe[-1][1] + margin > start
        if near_change or follows_unsafe:
            unsafe.append((start, end))
    return unsafe


def _restriction(coverage: DailyWindow, sched_tz: ZoneInfo, rot_tz: ZoneInfo, at: datetime) -> Restriction:
    """The coverage window as a daily restriction in the schedule's zone, for offsets in force `at`."""
    shift = utc_offset(sched_tz, at) - utc_offset(rot_tz, at)
    start = _seconds_of_day(coverage.start) + int(shift.total_seconds())
    duration = (_seconds_of_day(coverage.end) - _seconds_of_day(coverage.start)) % 86_400
    start %= 86_400
    return Restriction(time(start // 3600, start % 3600 // 60, start % 60), duration)


def _seconds_of_day(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _split(span: Span, cuts: Sequence[datetime]) -> list[Span]:
    points = [span[0], *(t for t in cuts if span[0] < t < span[1]), span[1]]
    return list(itertools.pairwise(points))


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _complement(spans: list[Span], since: datetime, until: datetime) -> list[Span]:
    free, cursor = [], since
    for start, end in spans:
        if start > cursor:
            free.append((cursor, min(start, until)))
        cursor = max(cursor, end)
    if cursor < until:
        free.append((cursor, until))
    return [(lo, hi) for lo, hi in free if lo < hi]


def _clip(runs: list[Assignment], span: Span) -> list[Assignment]:
    clipped = []
    for run in runs:
        start, end = max(run.start, span[0]), min(run.end, span[1])
        if start < end:
            clipped.append(Assignment(start, end, run.user_id))
    return clipped


def _contiguous_groups(runs: list[Assignment]) -> list[list[Assignment]]:
    """Maximal runs without a gap: a layer covers its whole [start, end) except outside restrictions."""
    groups: list[list[Assignment]] = []
    for run in runs:
        if groups and groups[-1][-1].end == run.start:
            groups[-1].append(run)
        else:
            groups.append([run])
    return groups


def _layout(
    runs: list[Assignment], restriction: Restriction | None, criticals: list[datetime]
) -> list[Layer]:
    """Layers spelling out contiguous `runs`: one rotating layer when a safe anchor exists, else a
    single-user lead-in layer for the first run and the rest laid out after it."""
    restrictions = () if restriction is None else (restriction,)
    layers: list[Layer] = []
    while runs:
        rotating = _rotating_layer(runs, restrictions, criticals)
        if rotating is not None:
            layers.append(rotating)
            break
        layers.append(_single_user_layer(runs[0], restrictions))
        runs = runs[1:]
    return layers


def _single_user_layer(run: Assignment, restrictions: tuple[Restriction, ...]) -> Layer:
    return Layer("", run.start, run.end, run.start, SINGLE_USER_TURN, (run.user_id,), restrictions)


def _rotating_layer(
    runs: list[Assignment], restrictions: tuple[Restriction, ...], criticals: list[datetime]
) -> Layer | None:
    """One layer whose turns start on every handoff of `runs`, or None when no turn length and
    anchor are exact under both DST readings."""
    if len(runs) == 1:
        return _single_user_layer(runs[0], restrictions)
    start, end, first_handoff = runs[0].start, runs[-1].end, runs[1].start
    gaps = [int((run.start - first_handoff).total_seconds()) for run in runs[2:]]
    turn = math.gcd(*gaps) if gaps else SINGLE_USER_TURN
    if not MIN_TURN <= turn <= MAX_TURN:
        return None
    step = timedelta(seconds=turn)
    anchor = first_handoff - math.ceil((first_handoff - start) / step) * step
    if any(anchor - ANCHOR_MARGIN <= t < end for t in criticals):
        return None
    turns = math.ceil((end - anchor) / step)
    starts = [run.start for run in runs]
    users = tuple(runs[max(0, bisect_right(starts, anchor + k * step) - 1)].user_id for k in range(turns))
    return Layer("", start, end, anchor, turn, users, restrictions)
