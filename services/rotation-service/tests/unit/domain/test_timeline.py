import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rotation_service.domain.calendar import to_instant
from rotation_service.domain.model import CoverageWindow, OnCallEntry, RotationSpec, Shift
from rotation_service.domain.timeline import oncall_timeline

HOUR = timedelta(hours=1)


def spec(zone: str = "UTC", coverage: CoverageWindow | None = None) -> RotationSpec:
    return RotationSpec(zone, timedelta(days=7), datetime(2026, 1, 5, 9), (timedelta(0),), coverage, True)


def at(zone: str, *local: int) -> datetime:
    return to_instant(datetime(*local), ZoneInfo(zone))  # type: ignore[arg-type]


def shift(start: datetime, end: datetime, primary: str | None, backup: str | None = None) -> Shift:
    return Shift(start.isoformat(), start, end, primary, backup)


def test_without_coverage_shifts_become_entries_clipped_to_the_range():
    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    shifts = [
        shift(t0, t0 + 7 * 24 * HOUR, "a@x.io", "b@x.io"),
        shift(t0 + 7 * 24 * HOUR, t0 + 14 * 24 * HOUR, "b@x.io"),
    ]
    entries = oncall_timeline(shifts, spec(), "primary", t0 + HOUR, t0 + 10 * 24 * HOUR)
    assert entries == [
        OnCallEntry(t0 + HOUR, t0 + 7 * 24 * HOUR, "a@x.io"),
        OnCallEntry(t0 + 7 * 24 * HOUR, t0 + 10 * 24 * HOUR, "b@x.io"),
    ]
    assert oncall_timeline(shifts, spec(), "backup", t0, t0 + 14 * 24 * HOUR) == [
        OnCallEntry(t0, t0 + 7 * 24 * HOUR, "b@x.io")
    ]


def test_adjacent_shifts_of_one_person_merge_and_empty_shifts_leave_a_hole():
    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    day = 24 * HOUR
    shifts = [
        shift(t0, t0 + day, "a@x.io"),
        shift(t0 + day, t0 + 2 * day, "a@x.io"),
        shift(t0 + 2 * day, t0 + 3 * day, None),
    ]
    assert oncall_timeline(shifts, spec(), "primary", t0, t0 + 3 * day) == [
        OnCallEntry(t0, t0 + 2 * day, "a@x.io")
    ]


def test_a_daytime_window_splits_a_week_into_days():
    zone = "Europe/London"
    s = spec(zone, CoverageWindow(time(8), time(16)))
    start, end = at(zone, 2026, 1, 5, 9), at(zone, 2026, 1, 12, 9)
    entries = oncall_timeline([shift(start, end, "a@x.io")], s, "primary", start, end)
    assert entries[0] == OnCallEntry(at(zone, 2026, 1, 5, 9), at(zone, 2026, 1, 5, 16), "a@x.io")
    assert entries[1] == OnCallEntry(at(zone, 2026, 1, 6, 8), at(zone, 2026, 1, 6, 16), "a@x.io")
    assert entries[-1] == OnCallEntry(at(zone, 2026, 1, 12, 8), at(zone, 2026, 1, 12, 9), "a@x.io")
    assert len(entries) == 8


@pytest.mark.parametrize(
    ("zone", "night", "hours"),
    [
        ("America/Los_Angeles", (2026, 3, 7), 7),  # clocks go forward on the night of 7-8 March
        ("America/Los_Angeles", (2026, 10, 31), 9),
        ("Europe/London", (2026, 3, 28), 7),
        ("Europe/London", (2026, 10, 24), 9),
        ("Australia/Sydney", (2026, 10, 3), 7),
        ("Australia/Sydney", (2026, 4, 4), 9),
    ],
)
def test_a_window_across_midnight_follows_the_wall_clock_on_dst_nights(zone, night, hours):
    s = spec(zone, CoverageWindow(time(22), time(6)))
    start, end = at(zone, 2026, 1, 5, 9), at(zone, 2027, 1, 4, 9)
    entries = oncall_timeline([shift(start, end, "a@x.io")], s, "primary", start, end)
    evening = datetime(*night, 22)
    that_night = [e for e in entries if e.start == to_instant(evening, ZoneInfo(zone))]
    assert len(that_night) == 1
    assert that_night[0].end == to_instant(evening + 8 * HOUR, ZoneInfo(zone))
    assert that_night[0].end - that_night[0].start == hours * HOUR
    ordinary = [e for e in entries if e.end - e.start not in (7 * HOUR, 9 * HOUR)]
    assert all(e.end - e.start == 8 * HOUR for e in ordinary[1:-1])
    assert all(
        (e.start.astimezone(ZoneInfo(zone)).hour, e.end.astimezone(ZoneInfo(zone)).hour) == (22, 6)
        for e in entries[1:-1]
    )


def test_entries_never_overlap_and_cover_only_the_window():
    zone = "America/Los_Angeles"
    s = spec(zone, CoverageWindow(time(8), time(20)))
    t0 = at(zone, 2026, 1, 5, 9)
    shifts = [
        shift(t0 + i * 7 * 24 * HOUR, t0 + (i + 1) * 7 * 24 * HOUR, f"p{i % 3}@x.io") for i in range(20)
    ]
    entries = oncall_timeline(shifts, s, "primary", t0, t0 + 140 * 24 * HOUR)
    assert all(a.end <= b.start for a, b in itertools.pairwise(entries))
    for entry in entries:
        local_start = entry.start.astimezone(ZoneInfo(zone))
        local_end = entry.end.astimezone(ZoneInfo(zone))
        assert local_start.date() == local_end.date()
        assert local_start.hour >= 8
        assert (local_end.hour, local_end.minute) <= (20, 0)
