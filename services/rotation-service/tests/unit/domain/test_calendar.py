import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rotation_service.domain.calendar import shift_slots, to_instant, to_local
from rotation_service.domain.model import RotationSpec

HOUR = timedelta(hours=1)
FOUR_A_DAY = tuple(timedelta(hours=h) for h in (0, 6, 12, 18))

# (zone, a day on which clocks go forward, a day on which they go back) in 2026
DST_DAYS = [
    ("America/Los_Angeles", datetime(2026, 3, 8), datetime(2026, 11, 1)),
    ("Europe/London", datetime(2026, 3, 29), datetime(2026, 10, 25)),
    ("Australia/Sydney", datetime(2026, 10, 4), datetime(2026, 4, 5)),
]


def spec_for(zone: str, first: datetime, period_days: int, handoffs: tuple[timedelta, ...]) -> RotationSpec:
    spec = RotationSpec(zone, timedelta(days=period_days), first, handoffs, horizon_days=90)
    spec.validate()
    return spec


def utc(local: datetime, zone: str) -> datetime:
    return to_instant(local, ZoneInfo(zone))


def slot_around(spec: RotationSpec, local_moment: datetime):
    moment = utc(local_moment, spec.time_zone)
    (slot,) = [s for s in shift_slots(spec, moment, moment + timedelta(minutes=1))]
    return slot


@pytest.mark.parametrize(("zone", "forward", "back"), DST_DAYS)
def test_weekly_shift_over_a_dst_change_keeps_the_local_handoff(zone, forward, back):
    # Anchor on a Monday 09:00 long before; the weeks containing the DST Sundays are 167 h and 169 h.
    spec = spec_for(zone, datetime(2026, 1, 5, 9), 7, (timedelta(0),))
    short, long_ = slot_around(spec, forward + 12 * HOUR), slot_around(spec, back + 12 * HOUR)
    assert short.end - short.start == timedelta(hours=167)
    assert long_.end - long_.start == timedelta(hours=169)
    for slot in (short, long_):
        zone_info = ZoneInfo(zone)
        assert to_local(slot.start, zone_info).time() == to_local(slot.end, zone_info).time()
        assert to_local(slot.start, zone_info).hour == 9
        assert slot.wall_clock_seconds == 7 * 24 * 3600


@pytest.mark.parametrize(("zone", "forward", "back"), DST_DAYS)
def test_daily_handoffs_on_dst_days_stay_at_local_times(zone, forward, back):
    spec = spec_for(zone, datetime(2026, 1, 1), 1, FOUR_A_DAY)
    zone_info = ZoneInfo(zone)
    for day, change in ((forward, -HOUR), (back, HOUR)):
        slots = shift_slots(spec, utc(day, zone), utc(day + timedelta(days=1), zone))
        assert [to_local(s.start, zone_info).hour for s in slots] == [0, 6, 12, 18]
        lengths = [s.end - s.start for s in slots]
        assert sorted(lengths) == sorted([6 * HOUR] * 3 + [6 * HOUR + change])
        assert sum(lengths, timedelta(0)) == 24 * HOUR + change


def test_a_handoff_in_the_spring_forward_gap_happens_at_the_end_of_the_gap():
    spec = spec_for("America/Los_Angeles", datetime(2026, 3, 1, 2, 30), 1, (timedelta(0),))
    slot = slot_around(spec, datetime(2026, 3, 8, 12))
    assert slot.id == "2026-03-08T02:30"
    assert slot.start == datetime(2026, 3, 8, 10, tzinfo=UTC)  # 03:00 PDT, the first instant after the gap
    assert slot.end == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)  # 02:30 PDT next day
    previous = slot_around(spec, datetime(2026, 3, 7, 12))
    assert previous.end == slot.start


def test_a_handoff_in_the_fall_back_fold_happens_at_its_first_occurrence():
    spec = spec_for("America/Los_Angeles", datetime(2026, 10, 1, 1, 30), 1, (timedelta(0),))
    slot = slot_around(spec, datetime(2026, 11, 1, 12))
    assert slot.start == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # 01:30 PDT, not 01:30 PST
    assert slot.end - slot.start == 25 * HOUR


def test_a_shift_that_falls_entirely_into_a_gap_is_dropped_without_leaving_a_hole():
    # London skips 01:00-02:00 on 2026-03-29: a 01:00-01:30 shift does not exist that night.
    spec = spec_for("Europe/London", datetime(2026, 3, 1), 1, (timedelta(hours=1), timedelta(hours=1.5)))
    slots = shift_slots(spec, datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))
    ids = [s.id for s in slots]
    assert "2026-03-29T01:00" not in ids
    assert "2026-03-28T01:00" in ids
    assert "2026-03-30T01:00" in ids
    assert all(a.end == b.start for a, b in itertools.pairwise(slots))
    assert all(s.start < s.end for s in slots)


def test_slots_are_contiguous_and_ids_do_not_depend_on_the_window():
    spec = spec_for(
        "Australia/Sydney", datetime(2026, 1, 5, 9), 7, (timedelta(0), timedelta(days=3, hours=8))
    )
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    slots = shift_slots(spec, since, until)
    assert all(a.end == b.start for a, b in itertools.pairwise(slots))
    assert len({s.id for s in slots}) == len(slots)
    later = shift_slots(spec, datetime(2026, 6, 3, 5, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))
    by_id = {s.id: s for s in slots}
    assert all(by_id[s.id] == s for s in later)
    assert later[0].start <= datetime(2026, 6, 3, 5, tzinfo=UTC) < later[0].end


def test_no_slot_starts_before_the_first_shift():
    spec = spec_for("UTC", datetime(2026, 12, 7, 9), 7, (timedelta(0),))
    slots = shift_slots(spec, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 21, 9, 1, tzinfo=UTC))
    assert [s.id for s in slots] == ["2026-12-07T09:00", "2026-12-14T09:00", "2026-12-21T09:00"]


def test_slots_overlapping_the_window_edges_are_included():
    spec = spec_for("UTC", datetime(2026, 1, 5, 9), 7, (timedelta(0),))
    slots = shift_slots(spec, datetime(2026, 1, 13, tzinfo=UTC), datetime(2026, 1, 19, 10, tzinfo=UTC))
    assert [s.id for s in slots] == ["2026-01-12T09:00", "2026-01-19T09:00"]
    assert shift_slots(spec, datetime(2026, 1, 12, 9, tzinfo=UTC), datetime(2026, 1, 12, 9, tzinfo=UTC)) == []


def test_a_half_hour_dst_gap_resolves_to_its_end_too():
    # Lord Howe Island moves its clocks from 02:00 to 02:30 on 2026-10-04.
    zone = ZoneInfo("Australia/Lord_Howe")
    gap_end = datetime(2026, 10, 3, 15, 30, tzinfo=UTC)
    assert to_instant(datetime(2026, 10, 4, 2, 0), zone) == gap_end
    assert to_instant(datetime(2026, 10, 4, 2, 15), zone) == gap_end
    assert to_instant(datetime(2026, 10, 4, 1, 59), zone) == gap_end - timedelta(minutes=1)
