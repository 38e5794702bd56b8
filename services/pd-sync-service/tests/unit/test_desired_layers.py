"""Desired layers render the rotation's exact timeline under both DST readings (simulator renderer)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pd_sync_reference import differing_seconds, sim_render
from pd_sync_shifts import local_boundaries, shifts

from pd_sync_service.domain.layers import desired_layers
from pd_sync_service.domain.model import DailyWindow, Layer, RotationSource
from pd_sync_service.domain.schedule import expected_entries, schedule_layers

DST_CHANGES = {
    "America/Los_Angeles": [datetime(2026, 3, 8), datetime(2026, 11, 1)],
    "Europe/London": [datetime(2026, 3, 29), datetime(2026, 10, 25)],
    "Australia/Sydney": [datetime(2026, 4, 5), datetime(2026, 10, 4)],
}
CASES = [(zone, day) for zone, days in DST_CHANGES.items() for day in days]
COVERAGES = [
    None,
    DailyWindow(time(8), time(16)),
    DailyWindow(time(18), time(6)),
    DailyWindow(time(0), time(8)),
    DailyWindow(time(1, 30), time(2, 30)),
    DailyWindow(time(22), time(3)),
]
PATTERNS = {
    "weekly": (timedelta(days=7), [timedelta(hours=9)]),
    "twice-daily": (timedelta(days=1), [timedelta(hours=9), timedelta(hours=21)]),
    "half-weeks": (timedelta(days=7), [timedelta(hours=9), timedelta(days=3, hours=21)]),
}
USERS = ["PA", "PB", "PC", None, "PA", "PD", "PB"]


def _source(
    zone: str, day: datetime, pattern: str, coverage: DailyWindow | None, users=USERS
) -> RotationSource:
    period, handoffs = PATTERNS[pattern]
    first = day - timedelta(days=21)
    boundaries = local_boundaries(zone, first, period, handoffs, 120)
    return RotationSource("r1", "Rotation", zone, coverage, tuple(shifts(boundaries, users)))


def _window(day: datetime, days: int = 40) -> tuple[datetime, datetime]:
    now = (day - timedelta(days=5, hours=3, minutes=17)).replace(tzinfo=UTC)
    return now, now + timedelta(days=days)


def _assert_exact(sources: list[RotationSource], zone: str, since: datetime, until: datetime) -> list[Layer]:
    layers = schedule_layers(sources, zone, since, until)
    expected = expected_entries(sources, since, until)
    assert expected, "the scenario must have someone on call"
    for reading in ("fixed", "wallclock"):
        assert differing_seconds(sim_render(layers, zone, since, until, reading), expected) == 0, reading
    for layer in layers:
        assert 3600 <= layer.turn_seconds <= 31_536_000
        for instant in (layer.start, layer.end, layer.virtual_start):
            assert instant is not None
            assert instant.tzinfo is not None
            assert instant.second == 0
    return layers


@pytest.mark.parametrize(("zone", "day"), CASES)
@pytest.mark.parametrize("pattern", sorted(PATTERNS))
@pytest.mark.parametrize("coverage", COVERAGES, ids=str)
def test_one_rotation_across_a_dst_change_is_exact(zone, day, pattern, coverage):
    since, until = _window(day)
    _assert_exact([_source(zone, day, pattern, coverage)], zone, since, until)


@pytest.mark.parametrize(("zone", "day"), CASES)
@pytest.mark.parametrize("coverage", COVERAGES[1:], ids=str)
def test_rotation_in_another_zone_than_the_schedule_is_exact(zone, day, coverage):
    since, until = _window(day)
    schedule_zone = "Europe/London" if zone != "Europe/London" else "America/New_York"
    _assert_exact([_source(zone, day, "weekly", coverage)], schedule_zone, since, until)


def test_follow_the_sun_rotations_share_one_schedule_exactly():
    zone, day = "America/Los_Angeles", datetime(2026, 11, 1)
    since, until = _window(day)
    sources = [
        _source(zone, day, "weekly", DailyWindow(time(6), time(14)), ["PA", "PB"]),
        _source(zone, day, "weekly", DailyWindow(time(14), time(22)), ["PC", "PD"]),
        _source(zone, day, "weekly", DailyWindow(time(22), time(6)), ["PE", "PF", "PG"]),
    ]
    sources = [
        RotationSource(f"r{i}", f"Rotation {i}", s.time_zone, s.coverage, s.assignments)
        for i, s in enumerate(sources)
    ]
    layers = _assert_exact(sources, zone, since, until)
    assert {layer.owner for layer in layers} == {"r0", "r1", "r2"}


def test_a_full_horizon_over_both_changes_uses_few_layers():
    zone = "Europe/London"
    since = datetime(2026, 2, 1, 10, 3, tzinfo=UTC)
    until = since + timedelta(days=182)
    boundaries = local_boundaries(zone, datetime(2026, 1, 26), timedelta(days=7), [timedelta(hours=9)], 40)
    source = RotationSource("r1", "Ops", zone, None, tuple(shifts(boundaries, ["PA", "PB", "PC"])))
    layers = _assert_exact([source], zone, since, until)
    assert len(layers) <= 6
    assert all(layer.name == "Ops" and layer.owner == "r1" for layer in layers)


def test_one_naive_layer_across_a_change_differs_between_readings():
    """Sanity: the two readings really disagree in these weeks, so the exactness tests can fail."""
    zone, day = "America/Los_Angeles", datetime(2026, 3, 8)
    since, until = _window(day)
    boundaries = local_boundaries(zone, day - timedelta(days=14), timedelta(days=7), [timedelta(hours=9)], 10)
    naive = Layer("naive", since, until, boundaries[0], 604_800, ("PA", "PB"))
    fixed = sim_render([naive], zone, since, until, "fixed")
    wall = sim_render([naive], zone, since, until, "wallclock")
    assert differing_seconds(fixed, wall) > 0


@settings(max_examples=30, deadline=None)
@given(
    zone=st.sampled_from(sorted(DST_CHANGES)),
    change=st.integers(0, 1),
    users=st.lists(st.sampled_from(["PA", "PB", "PC", None]), min_size=1, max_size=9),
    pattern=st.sampled_from(sorted(PATTERNS)),
    coverage=st.one_of(
        st.none(),
        st.tuples(st.integers(0, 47), st.integers(1, 47)).map(
            lambda pair: DailyWindow(
                time(pair[0] // 2, 30 * (pair[0] % 2)),
                time(((pair[0] + pair[1]) % 48) // 2, 30 * ((pair[0] + pair[1]) % 2)),
            )
        ),
    ),
    offset_minutes=st.integers(-7 * 24 * 60, 7 * 24 * 60),
)
def test_random_rotations_are_exact_under_both_readings(
    zone, change, users, pattern, coverage, offset_minutes
):
    day = DST_CHANGES[zone][change]
    since, until = _window(day + timedelta(minutes=offset_minutes), days=30)
    source = _source(zone, day, pattern, coverage, users)
    if not expected_entries([source], since, until):
        return
    _assert_exact([source], zone, since, until)


def test_nobody_assigned_gives_no_layers():
    since, until = _window(datetime(2026, 3, 8))
    source = RotationSource("r1", "Empty", "Europe/London", None, ())
    assert desired_layers(source, "Europe/London", since, until) == []
