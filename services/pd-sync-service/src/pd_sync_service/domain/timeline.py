"""Concrete on-call timelines: merging, clipping to coverage, overlaying rotations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from pd_sync_service.domain.model import Assignment, RotationSource
from pd_sync_service.domain.zones import daily_windows


def normalise(assignments: Iterable[Assignment], since: datetime, until: datetime) -> list[Assignment]:
    """Sort, clip to [since, until), cut overlaps (a later start wins) and join touching runs of the
    same user."""
    ordered = sorted(assignments, key=lambda item: (item.start, item.end))
    result: list[Assignment] = []
    for item in ordered:
        start, end = max(item.start, since), min(item.end, until)
        if start >= end:
            continue
        if result and result[-1].end > start:
            result[-1] = replace(result[-1], end=start)
            if result[-1].start >= result[-1].end:
                result.pop()
        result.append(Assignment(start, end, item.user_id))
    return merge_adjacent(result)


def merge_adjacent(entries: Sequence[Assignment]) -> list[Assignment]:
    merged: list[Assignment] = []
    for entry in entries:
        if merged and merged[-1].user_id == entry.user_id and merged[-1].end == entry.start:
            merged[-1] = replace(merged[-1], end=entry.end)
        else:
            merged.append(entry)
    return merged


def clip_to(entries: Sequence[Assignment], windows: Sequence[tuple[datetime, datetime]]) -> list[Assignment]:
    """Intersect sorted, non-overlapping entries with sorted, non-overlapping windows."""
    clipped: list[Assignment] = []
    first = 0
    for entry in entries:
        while first < len(windows) and windows[first][1] <= entry.start:
            first += 1
        index = first
        while index < len(windows) and windows[index][0] < entry.end:
            start, end = max(entry.start, windows[index][0]), min(entry.end, windows[index][1])
            if start < end:
                clipped.append(Assignment(start, end, entry.user_id))
            index += 1
    return clipped


def rotation_timeline(source: RotationSource, since: datetime, until: datetime) -> list[Assignment]:
    """The rotation's on-call entries in [since, until): shifts clipped to its coverage window
    (wall clock in its own zone)."""
    runs = normalise(source.assignments, since, until)
    if source.coverage is None:
        return runs
    zone = ZoneInfo(source.time_zone)
    windows = daily_windows(source.coverage.start, source.coverage.end, zone, since, until)
    return merge_adjacent(clip_to(runs, windows))


def overlay(base: Sequence[Assignment], top: Sequence[Assignment]) -> list[Assignment]:
    """Lay `top` over `base` (both sorted, without overlaps): where both have someone, `top` wins."""
    remaining: list[Assignment] = []
    first = 0
    for entry in base:
        cursor = entry.start
        while first < len(top) and top[first].end <= cursor:
            first += 1
        index = first
        while index < len(top) and top[index].start < entry.end:
            if top[index].start > cursor:
                remaining.append(replace(entry, start=cursor, end=top[index].start))
            cursor = max(cursor, top[index].end)
            index += 1
        if cursor < entry.end:
            remaining.append(replace(entry, start=cursor))
    return sorted([*remaining, *top], key=lambda item: item.start)


def schedule_timeline(
    sources: Sequence[RotationSource], since: datetime, until: datetime
) -> list[Assignment]:
    """What the schedule fed by `sources` must show: later sources win where coverages overlap."""
    final: list[Assignment] = []
    for source in sources:
        final = overlay(final, rotation_timeline(source, since, until))
    return merge_adjacent(final)
