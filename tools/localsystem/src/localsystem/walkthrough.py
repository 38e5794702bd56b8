"""Steps shared by the demo, the end-to-end tests and the benchmark: rotations, members, finding the
PagerDuty schedules the sync created, and picking a future shift to swap."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from localsystem.api import RotationApi
from localsystem.pagerduty import PagerDutyView
from localsystem.timelines import parse_instant


def last_monday_0900(time_zone: str, weeks_back: int = 1) -> str:
    """A first shift start on a Monday 09:00 local, `weeks_back` weeks before this week's Monday."""
    today = datetime.now(ZoneInfo(time_zone)).date()
    monday = today - timedelta(days=today.weekday(), weeks=weeks_back)
    return f"{monday.isoformat()}T09:00:00"


def add_members(api: RotationApi, rotation_id: str, people: list[tuple[str, str]], time_zone: str) -> None:
    for email, name in people:
        api.add_member(rotation_id, email, name, time_zone)


def wait_for_new_schedules(
    pagerduty: PagerDutyView, known: set[str], count: int, timeout_s: float = 60.0
) -> list[dict[str, Any]]:
    """The schedules created since `known` was taken, once there are `count` of them."""
    deadline = time.monotonic() + timeout_s
    fresh: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        fresh = [s for s in pagerduty.schedules() if s["id"] not in known]
        if len(fresh) >= count:
            return fresh
        time.sleep(0.3)
    raise TimeoutError(f"expected {count} new PagerDuty schedule(s), found {[s['name'] for s in fresh]}")


def split_primary_backup(schedules: list[dict[str, Any]], primary_name: str) -> tuple[str, str | None]:
    """(primary schedule id, backup schedule id or None): the primary carries the configured name."""
    primary = [s["id"] for s in schedules if s["name"] == primary_name]
    others = [s["id"] for s in schedules if s["name"] != primary_name]
    if len(primary) != 1 or len(others) > 1:
        raise AssertionError(f"cannot tell primary from backup among {[s['name'] for s in schedules]}")
    return primary[0], (others[0] if others else None)


def future_shift(
    api: RotationApi, rotation_id: str, *, not_before: timedelta, index: int = 0
) -> dict[str, Any]:
    """A staffed shift starting at least `not_before` from now (the `index`-th such shift)."""
    now = datetime.now(UTC)
    shifts = api.shifts(rotation_id, now, now + timedelta(days=60))
    later = [s for s in shifts if parse_instant(s["start"]) >= now + not_before and s["primary"]]
    return later[index]


def swappable_shifts(api: RotationApi, rotation_id: str, *, not_before: timedelta) -> tuple[Any, Any]:
    """Two future shifts whose primaries can swap (neither is the other shift's backup)."""
    now = datetime.now(UTC)
    shifts = api.shifts(rotation_id, now, now + timedelta(days=60))
    later = [s for s in shifts if parse_instant(s["start"]) >= now + not_before and s["primary"]]
    return next(
        (a, b)
        for a in later
        for b in later
        if a["primary"] != b["primary"] and a["primary"] != b["backup"] and b["primary"] != a["backup"]
    )


def swap_primary_and_backup(api: RotationApi, rotation_id: str, shift: dict[str, Any]) -> Any:
    """An administrator swaps a shift by hand: the backup takes the primary's turn and the other way
    round (holders cannot: they ask, and the person asked accepts)."""
    return api.reassign_shift(rotation_id, shift["id"], primary=shift["backup"], backup=shift["primary"])


def wait_for_reported_schedules(
    api: RotationApi, rotation_id: str, roles: set[str], timeout_s: float = 60.0
) -> dict[str, str]:
    """role -> PagerDuty schedule id, as the rotation service reports them once the sync reported back."""
    deadline = time.monotonic() + timeout_s
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = api.integration(rotation_id)
        found = {s["role"]: s["schedule_id"] for s in status["schedules"] if s.get("schedule_id")}
        if roles <= found.keys():
            return found
        time.sleep(0.5)
    raise TimeoutError(f"the rotation service did not report {sorted(roles)} schedules: {status}")
