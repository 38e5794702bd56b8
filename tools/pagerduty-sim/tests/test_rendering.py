"""Table-driven rendering tests of the pure renderer (no HTTP).

Times in the tables are local wall-clock times in the schedule's zone, written `YYYY-MM-DD HH:MM`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pagerduty_sim.model.schedule import (
    Layer,
    LayerSpec,
    LayerVersion,
    Override,
    Restriction,
    RestrictionKind,
    Schedule,
)
from pagerduty_sim.rendering import DstReading, coverage_percentage, render_schedule

FIXED, WALLCLOCK = DstReading.FIXED, DstReading.WALLCLOCK
DAY, WEEK = 86_400, 604_800
CREATED = datetime(2000, 1, 1, tzinfo=UTC)


def local(text: str, tz: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def daily(start: str, seconds: int) -> Restriction:
    return Restriction(RestrictionKind.DAILY, time.fromisoformat(start), seconds)


def weekly(day: int, start: str, seconds: int) -> Restriction:
    return Restriction(RestrictionKind.WEEKLY, time.fromisoformat(start), seconds, day)


@dataclass(frozen=True)
class L:
    """A layer in a table row: local times, user names, turn length in seconds."""

    start: str
    users: str
    turn: int = DAY
    anchor: str | None = None
    end: str | None = None
    restrictions: tuple[Restriction, ...] = ()

    def spec(self, tz: str) -> LayerSpec:
        return LayerSpec(
            name="layer",
            start=local(self.start, tz),
            end=local(self.end, tz) if self.end else None,
            rotation_virtual_start=local(self.anchor or self.start, tz),
            turn_length_seconds=self.turn,
            user_ids=tuple(self.users.split()),
            restrictions=self.restrictions,
        )


@dataclass(frozen=True)
class Case:
    name: str
    tz: str
    layers: list[L]
    since: str
    until: str
    expected: list[tuple[str, str, str]]
    reading: DstReading = FIXED
    overrides: list[tuple[str, str, str]] = field(default_factory=list)
    coverage: float | None = None


def build(case: Case) -> Schedule:
    layers = [
        Layer(f"L{i}", [LayerVersion(CREATED, item.spec(case.tz))]) for i, item in enumerate(case.layers)
    ]
    overrides = [
        Override(f"O{i}", local(start, case.tz), local(end, case.tz), user, i)
        for i, (start, end, user) in enumerate(case.overrides)
    ]
    return Schedule("S", "s", ZoneInfo(case.tz), None, layers, overrides)


def as_local(entries: list, tz: str) -> list[tuple[str, str, str]]:
    zone = ZoneInfo(tz)
    fmt = "%Y-%m-%d %H:%M"
    return [
        (e.start.astimezone(zone).strftime(fmt), e.end.astimezone(zone).strftime(fmt), e.user_id)
        for e in entries
    ]


NY, LA, LDN, SYD = "America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Sydney"

CASES = [
    Case(
        "openapi example: 20:00 daily turn clipped to 08:00 + 9 h",
        NY,
        [L("2015-11-06 20:00", "regina", restrictions=(daily("08:00:00", 32_400),))],
        "2015-11-10 00:00",
        "2015-11-11 00:00",
        [("2015-11-10 08:00", "2015-11-10 17:00", "regina")],
        coverage=37.5,
    ),
    Case(
        "rotation hands over at the turn boundary",
        "UTC",
        [L("2024-01-01 09:00", "a b c")],
        "2024-01-01 00:00",
        "2024-01-04 00:00",
        [("2024-01-01 09:00", "2024-01-02 09:00", "a"), ("2024-01-02 09:00", "2024-01-03 09:00", "b"),
         ("2024-01-03 09:00", "2024-01-04 00:00", "c")],
        coverage=87.5,
    ),
    Case(
        "a later layer wins where it has someone; gaps in it show the layer below",
        "UTC",
        [L("2024-01-01 00:00", "a"), L("2024-01-01 00:00", "b", restrictions=(daily("09:00:00", 8 * 3600),))],
        "2024-01-01 00:00",
        "2024-01-02 00:00",
        [("2024-01-01 00:00", "2024-01-01 09:00", "a"), ("2024-01-01 09:00", "2024-01-01 17:00", "b"),
         ("2024-01-01 17:00", "2024-01-02 00:00", "a")],
        coverage=100.0,
    ),
    Case(
        "weekly restriction: Monday 09:00 for five days, turns of a week",
        "UTC",
        [L("2024-01-01 09:00", "a b", turn=WEEK, restrictions=(weekly(1, "09:00:00", 4 * DAY + 8 * 3600),))],
        "2024-01-01 00:00",
        "2024-01-15 00:00",
        [("2024-01-01 09:00", "2024-01-05 17:00", "a"), ("2024-01-08 09:00", "2024-01-12 17:00", "b")],
    ),
    Case(
        "restriction crossing midnight clips each turn to the night window",
        "UTC",
        [L("2024-01-01 00:00", "a b", restrictions=(daily("22:00:00", 8 * 3600),))],
        "2024-01-01 00:00",
        "2024-01-03 00:00",
        [("2024-01-01 00:00", "2024-01-01 06:00", "a"), ("2024-01-01 22:00", "2024-01-02 00:00", "a"),
         ("2024-01-02 00:00", "2024-01-02 06:00", "b"), ("2024-01-02 22:00", "2024-01-03 00:00", "b")],
    ),
    Case(
        "overrides win, stack (last created wins) and fill gaps",
        "UTC",
        [L("2024-01-01 00:00", "a", restrictions=(daily("09:00:00", 8 * 3600),))],
        "2024-01-01 00:00",
        "2024-01-02 00:00",
        [("2024-01-01 09:00", "2024-01-01 10:00", "a"), ("2024-01-01 10:00", "2024-01-01 12:00", "d"),
         ("2024-01-01 12:00", "2024-01-01 16:00", "e"), ("2024-01-01 16:00", "2024-01-01 17:00", "a"),
         ("2024-01-01 18:00", "2024-01-01 20:00", "g")],
        overrides=[("2024-01-01 10:00", "2024-01-01 14:00", "d"),
                   ("2024-01-01 12:00", "2024-01-01 16:00", "e"),
                   ("2024-01-01 18:00", "2024-01-01 20:00", "g")],
    ),
    Case(
        "an ended layer uncovers the layer below from its end",
        "UTC",
        [L("2024-01-01 00:00", "a"), L("2024-01-01 00:00", "b", end="2024-01-01 12:00")],
        "2024-01-01 00:00",
        "2024-01-02 00:00",
        [("2024-01-01 00:00", "2024-01-01 12:00", "b"), ("2024-01-01 12:00", "2024-01-02 00:00", "a")],
    ),
    Case(
        "a layer starting later leaves a gap before its start (gaps are omitted)",
        "UTC",
        [L("2024-01-01 06:00", "a", anchor="2024-01-01 00:00")],
        "2024-01-01 00:00",
        "2024-01-02 00:00",
        [("2024-01-01 06:00", "2024-01-02 00:00", "a")],
        coverage=75.0,
    ),
    Case(
        "LA spring forward, daily turns, fixed: the handoff moves to 10:00 PDT",
        LA,
        [L("2024-03-08 09:00", "a b")],
        "2024-03-09 00:00",
        "2024-03-11 00:00",
        [("2024-03-09 00:00", "2024-03-09 09:00", "a"), ("2024-03-09 09:00", "2024-03-10 10:00", "b"),
         ("2024-03-10 10:00", "2024-03-11 00:00", "a")],
    ),
    Case(
        "LA spring forward, daily turns, wallclock: the handoff stays at 09:00",
        LA,
        [L("2024-03-08 09:00", "a b")],
        "2024-03-09 00:00",
        "2024-03-11 00:00",
        [("2024-03-09 00:00", "2024-03-09 09:00", "a"), ("2024-03-09 09:00", "2024-03-10 09:00", "b"),
         ("2024-03-10 09:00", "2024-03-11 00:00", "a")],
        reading=WALLCLOCK,
    ),
    Case(
        "London spring forward, weekly turns, fixed: 168 elapsed hours end at 10:00 BST",
        LDN,
        [L("2024-03-25 09:00", "a b", turn=WEEK)],
        "2024-03-25 09:00",
        "2024-04-08 12:00",
        [("2024-03-25 09:00", "2024-04-01 10:00", "a"), ("2024-04-01 10:00", "2024-04-08 10:00", "b"),
         ("2024-04-08 10:00", "2024-04-08 12:00", "a")],
    ),
    Case(
        "London spring forward, weekly turns, wallclock: a 167-hour week keeps 09:00",
        LDN,
        [L("2024-03-25 09:00", "a b", turn=WEEK)],
        "2024-03-25 09:00",
        "2024-04-08 12:00",
        [("2024-03-25 09:00", "2024-04-01 09:00", "a"), ("2024-04-01 09:00", "2024-04-08 09:00", "b"),
         ("2024-04-08 09:00", "2024-04-08 12:00", "a")],
        reading=WALLCLOCK,
    ),
    Case(
        "Sydney autumn (DST ends), weekly turns, fixed: 168 elapsed hours end at 08:00 AEST",
        SYD,
        [L("2024-04-01 09:00", "a b", turn=WEEK)],
        "2024-04-01 09:00",
        "2024-04-09 00:00",
        [("2024-04-01 09:00", "2024-04-08 08:00", "a"), ("2024-04-08 08:00", "2024-04-09 00:00", "b")],
    ),
    Case(
        "Sydney autumn (DST ends), weekly turns, wallclock: a 169-hour week keeps 09:00",
        SYD,
        [L("2024-04-01 09:00", "a b", turn=WEEK)],
        "2024-04-01 09:00",
        "2024-04-09 00:00",
        [("2024-04-01 09:00", "2024-04-08 09:00", "a"), ("2024-04-08 09:00", "2024-04-09 00:00", "b")],
        reading=WALLCLOCK,
    ),
    Case(
        "LA fall back night window 18:00 + 12 h, fixed: 12 elapsed hours end at 05:00 PST",
        LA,
        [L("2024-11-01 00:00", "a", restrictions=(daily("18:00:00", 12 * 3600),))],
        "2024-11-02 12:00",
        "2024-11-03 12:00",
        [("2024-11-02 18:00", "2024-11-03 05:00", "a")],
    ),
    Case(
        "LA fall back night window 18:00 + 12 h, wallclock: ends at 06:00 PST",
        LA,
        [L("2024-11-01 00:00", "a", restrictions=(daily("18:00:00", 12 * 3600),))],
        "2024-11-02 12:00",
        "2024-11-03 12:00",
        [("2024-11-02 18:00", "2024-11-03 06:00", "a")],
        reading=WALLCLOCK,
    ),
    Case(
        "Sydney spring forward (DST starts) night window 20:00 + 12 h, wallclock: ends 08:00 AEDT",
        SYD,
        [L("2024-10-01 00:00", "a", restrictions=(daily("20:00:00", 12 * 3600),))],
        "2024-10-05 12:00",
        "2024-10-06 12:00",
        [("2024-10-05 20:00", "2024-10-06 08:00", "a")],
        reading=WALLCLOCK,
    ),
    Case(
        "Sydney spring forward night window 20:00 + 12 h, fixed: 12 elapsed hours end 09:00 AEDT",
        SYD,
        [L("2024-10-01 00:00", "a", restrictions=(daily("20:00:00", 12 * 3600),))],
        "2024-10-05 12:00",
        "2024-10-06 12:00",
        [("2024-10-05 20:00", "2024-10-06 09:00", "a")],
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_final_schedule(case: Case) -> None:
    since, until = local(case.since, case.tz), local(case.until, case.tz)
    rendering = render_schedule(build(case), since, until, case.reading)
    assert as_local(rendering.final, case.tz) == case.expected
    if case.coverage is not None:
        assert coverage_percentage(rendering.final, since, until) == case.coverage


def test_openapi_example_layer_coverage_is_37_5_percent() -> None:
    case = CASES[0]
    since, until = local(case.since, case.tz), local(case.until, case.tz)
    layer_entries = render_schedule(build(case), since, until, FIXED).layers[0]
    assert coverage_percentage(layer_entries, since, until) == 37.5


def test_overflow_keeps_entries_whole_and_default_cuts_them() -> None:
    case = CASES[1]
    since, until = local("2024-01-01 12:00", "UTC"), local("2024-01-01 13:00", "UTC")
    cut = render_schedule(build(case), since, until, FIXED).final
    whole = render_schedule(build(case), since, until, FIXED, overflow=True).final
    assert as_local(cut, "UTC") == [("2024-01-01 12:00", "2024-01-01 13:00", "a")]
    assert as_local(whole, "UTC") == [("2024-01-01 09:00", "2024-01-02 09:00", "a")]


def test_an_edit_in_the_middle_of_a_turn_applies_from_the_edit_on() -> None:
    original = L("2024-01-01 00:00", "a b", turn=WEEK).spec("UTC")
    edited = L("2024-01-03 12:00", "c", turn=WEEK).spec("UTC")
    edit_time = local("2024-01-03 12:00", "UTC")
    layer = Layer("L", [LayerVersion(CREATED, original), LayerVersion(edit_time, edited)])
    schedule = Schedule("S", "s", ZoneInfo("UTC"), None, [layer])
    rendering = render_schedule(
        schedule, local("2024-01-01 00:00", "UTC"), local("2024-01-05 00:00", "UTC"), FIXED
    )
    assert as_local(rendering.final, "UTC") == [
        ("2024-01-01 00:00", "2024-01-03 12:00", "a"),
        ("2024-01-03 12:00", "2024-01-05 00:00", "c"),
    ]


def test_hourly_turns_over_weeks_render_one_entry_per_turn() -> None:
    users = " ".join(f"u{i}" for i in range(30))
    schedule = build(Case("many", "UTC", [L("2024-01-01 00:00", users, turn=3600)], "", "", []))
    since, until = local("2024-01-01 00:00", "UTC"), local("2024-01-22 00:00", "UTC")
    layer_entries = render_schedule(schedule, since, until, FIXED).layers[0]
    assert len(layer_entries) == 21 * 24
    assert layer_entries[30].user_id == "u0"
