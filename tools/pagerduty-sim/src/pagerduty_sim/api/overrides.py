"""Overrides: create (current and deprecated forms), list over a window, delete or cut at now."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pagerduty_sim.api.references import user_reference
from pagerduty_sim.api.schedules import find_schedule, render_window
from pagerduty_sim.errors import ApiError, invalid_input, override_not_found
from pagerduty_sim.model.account import Account
from pagerduty_sim.model.schedule import Override, Schedule
from pagerduty_sim.simulator import Simulator
from pagerduty_sim.timeutil import InvalidTimeError, format_instant, parse_instant


def override_json(account: Account, schedule: Schedule, override: Override) -> dict[str, Any]:
    return {
        "id": override.id,
        "start": format_instant(override.start, schedule.time_zone),
        "end": format_instant(override.end, schedule.time_zone),
        "user": user_reference(account, override.user_id),
    }


def create_overrides(sim: Simulator, account: Account, schedule_id: str, body: Mapping[str, Any]) -> Any:
    """`{"overrides": [...]}` -> 201 with a bare array of per-item results (partial success possible);
    the deprecated `{"override": {...}}` -> 201 with `{"override": {...}}` or an error."""
    schedule = find_schedule(account, schedule_id)
    if "overrides" in body:
        return 201, [_create_one(sim, account, schedule, raw) for raw in body["overrides"] or []]
    if "override" in body:
        result = _create_one(sim, account, schedule, body["override"])
        if result["status"] != 201:
            raise invalid_input(*result["errors"])
        return 201, {"override": result["override"]}
    raise invalid_input("overrides is required")


def _create_one(
    sim: Simulator, account: Account, schedule: Schedule, raw: Mapping[str, Any]
) -> dict[str, Any]:
    try:
        override = _read_override(sim, account, schedule, raw)
    except ApiError as error:
        echoed = {key: raw.get(key) for key in ("start", "end", "user") if key in raw}
        return {"status": 400, "errors": error.errors or [error.message], "override": echoed}
    schedule.overrides.append(override)
    schedule.touch()
    sim.applied(account, schedule, "create override")
    return {"status": 201, "override": override_json(account, schedule, override)}


def _read_override(sim: Simulator, account: Account, schedule: Schedule, raw: Mapping[str, Any]) -> Override:
    try:
        start = parse_instant(str(raw["start"]), schedule.time_zone)
        end = parse_instant(str(raw["end"]), schedule.time_zone)
    except (KeyError, InvalidTimeError):
        raise invalid_input("Override must have a valid start and end") from None
    if end <= start:
        raise invalid_input("End must be after start")
    user_id = str((raw.get("user") or {}).get("id", ""))
    if user_id not in account.users:
        raise invalid_input(f"User {user_id} not found")
    return Override(sim.ids.new_id(), start, end, user_id, sim.next_sequence())


def list_overrides(sim: Simulator, account: Account, schedule_id: str, params: Mapping[str, str]) -> Any:
    """`GET .../overrides?since&until` (both required): overrides overlapping the window."""
    schedule = find_schedule(account, schedule_id)
    if not params.get("since") or not params.get("until"):
        raise invalid_input("since and until are required")
    window = render_window(params, schedule.time_zone, sim.clock.now())
    assert window is not None
    since, until = window
    chosen = [item for item in schedule.overrides if item.start < until and item.end > since]
    if params.get("editable", "false").lower() == "true":
        chosen = [item for item in chosen if item.start > sim.clock.now()]
    return 200, {"overrides": [override_json(account, schedule, item) for item in chosen]}


def delete_override(sim: Simulator, account: Account, schedule_id: str, override_id: str) -> Any:
    """204 removes a future override; 200 cuts one in progress at now; a past one cannot be removed."""
    schedule = find_schedule(account, schedule_id)
    override = next((item for item in schedule.overrides if item.id == override_id), None)
    if override is None:
        raise override_not_found()
    now = sim.clock.now()
    if override.end <= now:
        raise invalid_input("Cannot delete an override that has already ended")
    index = schedule.overrides.index(override)
    if override.start < now:
        schedule.overrides[index] = replace(override, end=now)
        schedule.touch()
        sim.applied(account, schedule, "end override")
        return 200, None
    del schedule.overrides[index]
    schedule.touch()
    sim.applied(account, schedule, "delete override")
    return 204, None
