"""Who is on call when, per role: exactly the entries PagerDuty must show."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime

from rotation_service.domain.calendar import coverage_intervals
from rotation_service.domain.model import Interval, OnCallEntry, Role, RotationSpec, Shift


def oncall_timeline(
    shifts: Iterable[Shift], spec: RotationSpec, role: Role, since: datetime, until: datetime
) -> list[OnCallEntry]:
    """Entries `[start, end) -> email` for `role`, in time order.

    Each shift of that role is clipped to the coverage windows (wall clock in `spec.time_zone`) and to
    `[since, until)`; touching entries of the same person are merged; shifts with nobody in the role
    produce no entry.
    """
    staffed = sorted(
        (shift for shift in shifts if shift.person(role) is not None and shift.end > since),
        key=lambda shift: shift.start,
    )
    if not staffed or since >= until:
        return []
    windows = coverage_intervals(spec, max(since, staffed[0].start), until)
    window_ends = [window.end for window in windows]
    entries: list[OnCallEntry] = []
    for shift in staffed:
        email = shift.person(role) or ""
        for start, end in _clipped(shift, windows, window_ends, since, until):
            _append_merged(entries, OnCallEntry(start, end, email))
    return entries


def _clipped(
    shift: Shift, windows: list[Interval], window_ends: list[datetime], since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    lower, upper = max(shift.start, since), min(shift.end, until)
    pieces = []
    for index in range(bisect_right(window_ends, lower), len(windows)):
        window = windows[index]
        if window.start >= upper:
            break
        start, end = max(lower, window.start), min(upper, window.end)
        if start < end:
            pieces.append((start, end))
    return pieces


def _append_merged(entries: list[OnCallEntry], entry: OnCallEntry) -> None:
    if entries and entries[-1].email == entry.email and entries[-1].end == entry.start:
        entries[-1] = OnCallEntry(entries[-1].start, entry.end, entry.email)
    else:
        entries.append(entry)
