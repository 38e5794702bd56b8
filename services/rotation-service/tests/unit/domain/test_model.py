from datetime import UTC, datetime, time, timedelta

import pytest

from oncall_contracts import limits
from rotation_service.domain.errors import InvalidRotation
from rotation_service.domain.model import CoverageWindow, Interval, Member, RotationSpec

WEEK = timedelta(days=7)


def weekly(**changes: object) -> RotationSpec:
    values: dict[str, object] = {
        "time_zone": "Europe/London",
        "period": WEEK,
        "first_shift_start": datetime(2026, 12, 7, 9, 0),
        "handoffs": (timedelta(0),),
    }
    values.update(changes)
    return RotationSpec(**values)  # type: ignore[arg-type]


_EVERY_SIX_HOURS = tuple(timedelta(hours=hour) for hour in (0, 6, 12, 18))


def test_a_plain_weekly_rotation_is_valid():
    weekly().validate()
    weekly(coverage=CoverageWindow(time(22), time(6)), backup=True, horizon_days=730).validate()


def test_three_eight_hour_shifts_a_day_fit_the_default_horizon() -> None:
    eight_hours = tuple(timedelta(hours=hour) for hour in (0, 8, 16))
    spec = RotationSpec("Europe/London", timedelta(days=1), datetime(2026, 12, 7, 9), eight_hours)
    assert spec.horizon_days == 182
    assert spec.planned_shifts == 546
    spec.validate()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": "../etc/passwd"}, "time_zone"),
        ({"period": timedelta(hours=36)}, "period"),
        ({"period": timedelta(0)}, "period"),
        ({"period": timedelta(days=-7)}, "period"),
        ({"handoffs": ()}, "handoffs"),
        ({"handoffs": (timedelta(days=7),)}, "handoffs"),
        ({"handoffs": (timedelta(hours=-1),)}, "handoffs"),
        ({"handoffs": (timedelta(days=2), timedelta(days=1))}, "handoffs"),
        ({"handoffs": (timedelta(days=1), timedelta(days=1))}, "handoffs"),
        ({"handoffs": (timedelta(seconds=30),)}, "handoffs"),
        ({"first_shift_start": datetime(2026, 12, 7, 9, tzinfo=UTC)}, "first_shift_start"),
        ({"first_shift_start": datetime(2026, 12, 7, 9, 0, 15)}, "first_shift_start"),
        ({"coverage": CoverageWindow(time(8), time(8))}, "coverage"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": 731}, "horizon_days"),
        ({"handoffs": tuple(timedelta(minutes=m) for m in range(201))}, "handoffs"),
        (
            {
                "period": timedelta(days=1),
                "handoffs": _EVERY_SIX_HOURS,
                "horizon_days": limits.SHIFTS_PER_ROTATION // 4 + 1,
            },
            "horizon_days",
        ),
    ],
)
def test_invalid_settings_name_the_field(changes, field):
    with pytest.raises(InvalidRotation) as raised:
        weekly(**changes).validate()
    assert raised.value.field == field
    assert raised.value.message


def test_coverage_window_with_end_before_start_crosses_midnight():
    assert CoverageWindow(time(22), time(6)).crosses_midnight
    assert not CoverageWindow(time(8), time(16)).crosses_midnight


def test_interval_must_be_aware_and_non_empty():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidRotation):
        Interval(start, start)
    with pytest.raises(InvalidRotation):
        Interval(datetime(2026, 1, 1), datetime(2026, 1, 2))
    assert Interval(start, start + timedelta(hours=1)).overlaps(start, start + timedelta(minutes=1))
    assert not Interval(start, start + timedelta(hours=1)).overlaps(
        start + timedelta(hours=1), start + timedelta(hours=2)
    )


def test_member_availability_is_half_open():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    member = Member("a@example.com", "A", "UTC", start).with_unavailability(
        Interval(start, start + timedelta(days=1))
    )
    assert not member.is_available(start + timedelta(hours=23), start + timedelta(days=2))
    assert member.is_available(start + timedelta(days=1), start + timedelta(days=2))
    assert member.is_available(start - timedelta(days=1), start)


@pytest.mark.parametrize(
    ("email", "name", "zone", "field"),
    [
        ("not-an-email", "A", "UTC", "email"),
        ("a@localhost", "A", "UTC", "email"),
        ("a b@example.com", "A", "UTC", "email"),
        ("a@example.com", "  ", "UTC", "name"),
        ("a@example.com", "A", "Nowhere/Town", "time_zone"),
    ],
)
def test_invalid_members_name_the_field(email, name, zone, field):
    with pytest.raises(InvalidRotation) as raised:
        Member(email, name, zone, datetime(2026, 1, 1, tzinfo=UTC)).validate()
    assert raised.value.field == field
