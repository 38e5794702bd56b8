"""Entries on a timeline, and the operations the renderer combines them with."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    """`user_id` is on call from `start` (inclusive) to `end` (exclusive); instants are aware UTC."""

    start: datetime
    end: datetime
    user_id: str


def subtract(base: list[Entry], top: list[Entry]) -> list[Entry]:
    """Return the parts of `base` not covered by `top`; both sorted and free of overlaps."""
    remaining: list[Entry] = []
    first_relevant = 0
    for entry in base:
        cursor = entry.start
        while first_relevant < len(top) and top[first_relevant].end <= cursor:
            first_relevant += 1
        index = first_relevant
        while index < len(top) and top[index].start < entry.end:
            if top[index].start > cursor:
                remaining.append(replace(entry, start=cursor, end=top[index].start))
            cursor = max(cursor, top[index].end)
            index += 1
        if cursor < entry.end:
            remaining.append(replace(entry, start=cursor))
    return remaining


def overlay(base: list[Entry], top: list[Entry]) -> list[Entry]:
    """Lay `top` over `base`: where both have someone, `top` wins. Result sorted, without overlaps."""
    if not top:
        return base
    return sorted(subtract(base, top) + top, key=lambda entry: entry.start)


def merge_adjacent(entries: list[Entry]) -> list[Entry]:
    """Join entries of the same user that touch, so one continuous stretch is one entry."""
    merged: list[Entry] = []
    for entry in entries:
        if merged and merged[-1].user_id == entry.user_id and merged[-1].end == entry.start:
            merged[-1] = replace(merged[-1], end=entry.end)
        else:
            merged.append(entry)
    return merged


def clip(entries: list[Entry], since: datetime, until: datetime) -> list[Entry]:
    """Cut entries at the window bounds and drop those outside it."""
    clipped = []
    for entry in entries:
        start, end = max(entry.start, since), min(entry.end, until)
        if start < end:
            clipped.append(Entry(start, end, entry.user_id))
    return clipped


def coverage_percentage(entries: list[Entry], since: datetime, until: datetime) -> float:
    """Share of the window covered by the (non-overlapping) entries, in percent, to 2 decimals."""
    window = (until - since).total_seconds()
    if window <= 0:
        return 0.0
    covered = sum((entry.end - entry.start).total_seconds() for entry in clip(entries, since, until))
    return round(100.0 * covered / window, 2)
