"""DST end to end through the aggregate: handoffs stay at local wall-clock times, timelines have no gaps
or double coverage on the nights the clocks change (what PagerDuty must show)."""

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rotation_service.domain.model import CoverageWindow, Member, RotationSpec
from rotation_service.domain.rotation import Rotation
from rotation_service.domain.timeline import oncall_timeline

ZONES = ["America/Los_Angeles", "Europe/London", "Australia/Sydney"]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = 365


def rotation(
    zone: str, period_days: int, handoff_hours: tuple[int, ...], coverage=None, now=NOW, horizon=YEAR
) -> Rotation:
    spec = RotationSpec(
        zone,
        timedelta(days=period_days),
        datetime(2026, 1, 5, handoff_hours[0]),
        tuple(timedelta(hours=h - handoff_hours[0]) for h in handoff_hours),
        coverage,
        True,
        horizon,
    )
    created = Rotation.create(f"{zone}-{coverage}", "DST", spec, "admin@x.io", now)
    for name in ("ann", "bob", "cyd"):
        created.add_member(Member(f"{name}@x.io", name, zone, now), now)
    return created


# A rotation plans at most limits.SHIFTS_PER_ROTATION shifts: four a day are planned 100 days at a
# time, once from February (the spring changes) and once from September (the autumn ones).
WEEKLY_FOR_A_YEAR = (7, (9,), ((NOW, YEAR),))
FOUR_A_DAY_AROUND_THE_CHANGES = (
    1,
    (0, 6, 12, 18),
    ((datetime(2026, 2, 1, tzinfo=UTC), 100), (datetime(2026, 9, 1, tzinfo=UTC), 100)),
)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    ("period_days", "handoff_hours", "plans"), [WEEKLY_FOR_A_YEAR, FOUR_A_DAY_AROUND_THE_CHANGES]
)
def test_a_year_of_shifts_hands_off_at_local_times(zone, period_days, handoff_hours, plans):
    shifts = []
    for now, horizon in plans:
        planned = [  # a shift under way when the plan is made was nobody's (no one was a member yet)
            shift
            for shift in rotation(zone, period_days, handoff_hours, now=now, horizon=horizon).shifts.values()
            if shift.start >= now
        ]
        assert len(planned) >= (horizon - 5) * len(handoff_hours) // period_days  # first shift: 5 January
        assert all(a.end == b.start for a, b in itertools.pairwise(planned))
        shifts += planned
    local = ZoneInfo(zone)
    assert {s.start.astimezone(local).hour for s in shifts} == set(handoff_hours)
    assert all(s.start.astimezone(local).minute == 0 for s in shifts)
    lengths = {s.end - s.start for s in shifts}
    nominal = timedelta(days=period_days) / len(handoff_hours)
    assert lengths == {nominal - timedelta(hours=1), nominal, nominal + timedelta(hours=1)}
    assert all(s.primary and s.backup and s.primary != s.backup for s in shifts)


@pytest.mark.parametrize("zone", ZONES)
def test_follow_the_sun_rotations_cover_every_instant_exactly_once(zone):
    # Three regions, all defined in one zone, each covering eight wall-clock hours of every day.
    windows = [
        CoverageWindow(time(0), time(8)),
        CoverageWindow(time(8), time(16)),
        CoverageWindow(time(16), time(0)),
    ]
    since, until = datetime(2026, 1, 6, tzinfo=UTC), datetime(2026, 12, 20, tzinfo=UTC)
    entries = []
    for window in windows:
        region = rotation(zone, 7, (9,), window)
        entries += oncall_timeline(region.shifts.values(), region.spec, "primary", since, until)
    entries.sort(key=lambda entry: entry.start)
    assert entries[0].start == since
    assert entries[-1].end == until
    assert all(a.end == b.start for a, b in itertools.pairwise(entries)), "gap or overlap"
    night_shift_lengths = {
        e.end - e.start for e in entries[1:-1] if e.start.astimezone(ZoneInfo(zone)).hour == 0
    }
    assert timedelta(hours=7) in night_shift_lengths or timedelta(hours=9) in night_shift_lengths
