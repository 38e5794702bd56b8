"""Time-zone arithmetic: DST transitions, offsets and daily wall-clock windows."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)


def utc_offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def transitions(zone: ZoneInfo, since: datetime, until: datetime) -> list[datetime]:
    """Instants in (since, until] at which `zone`'s UTC offset changes (assumes at most one a day);
    transitions fall on whole seconds. Read from the zone's year scanned once per process (a sync
    renders ~190 days every change)."""
    if since >= until:
        return []
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    return [
        change
        for year in range(since.year, until.year + 1)
        for change in _transitions_in_year(zone, year)
        if since < change <= until
    ]


@functools.cache
def _transitions_in_year(zone: ZoneInfo, year: int) -> tuple[datetime, ...]:
    """The changes in (Jan 1, next Jan 1] UTC, scanned a day at a time (Jan 1 00:00 is an earlier
    scan's end: a change exactly then is found in the year before)."""
    found: list[datetime] = []
    cursor, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    while cursor < end:
        step_end = cursor + ONE_DAY
        if utc_offset(zone, cursor) != utc_offset(zone, step_end):
            found.append(_bisect_change(zone, cursor, step_end))
        cursor = step_end
    return tuple(found)


def _bisect_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant in (low, high] whose offset differs from `low`'s, to the second."""
    before = utc_offset(zone, low)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if utc_offset(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high


def localize(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time; a repeated time takes its first occurrence and a skipped
    time is read with the offset before the gap (02:30 on a 02:00->03:00 night is 03:30)."""
    return datetime.combine(day, wall).replace(tzinfo=zone, fold=0).astimezone(UTC)


def daily_windows(
    start: time, end: time, zone: ZoneInfo, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The occurrences of a daily wall-clock window in `zone` that overlap [since, until), whole."""
    windows = []
    day = since.astimezone(zone).date() - ONE_DAY
    last_day = until.astimezone(zone).date()
    while day <= last_day:
        window_start = localize(day, start, zone)
        window_end = localize(day + ONE_DAY if end <= start else day, end, zone)
        if window_start < window_end and window_end > since and window_start < until:
            windows.append((window_start, window_end))
        day += ONE_DAY
    return windows
