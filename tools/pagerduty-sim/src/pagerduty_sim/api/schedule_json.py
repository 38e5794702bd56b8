"""Schedules as PagerDuty returns them, with rendered entries when a window is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pagerduty_sim.api.references import links, user_reference
from pagerduty_sim.model.account import Account
from pagerduty_sim.model.schedule import Layer, Restriction, RestrictionKind, Schedule
from pagerduty_sim.rendering import DstReading, Entry, Rendering, coverage_percentage, render_schedule
from pagerduty_sim.timeutil import format_instant

ALL_PARTS = frozenset({"schedule_layers", "overrides_subschedule", "final_schedule"})


@dataclass(frozen=True)
class View:
    """How to show a schedule: the render window (None = no rendering), output zone, parts."""

    window: tuple[datetime, datetime] | None
    out_zone: ZoneInfo | None
    reading: DstReading
    overflow: bool = False
    parts: frozenset[str] = ALL_PARTS


def schedule_json(account: Account, schedule: Schedule, view: View) -> dict[str, Any]:
    out_zone = view.out_zone or schedule.time_zone
    rendering = _render(schedule, view)
    body: dict[str, Any] = {
        "id": schedule.id,
        "type": "schedule",
        "summary": schedule.name,
        **links(account, "schedules", schedule.id),
        "name": schedule.name,
        "time_zone": schedule.time_zone.key,
        "escalation_policies": [],
        "users": [user_reference(account, user_id) for user_id in schedule.user_ids],
        "teams": [],
    }
    if schedule.description is not None:
        body["description"] = schedule.description
    if "schedule_layers" in view.parts:
        layers = zip(
            schedule.layers, rendering.layers if rendering else [None] * len(schedule.layers), strict=True
        )
        # GET lists layers in the reverse of POST/PUT order, as PagerDuty does.
        body["schedule_layers"] = [
            _layer_json(account, layer, entries, view, out_zone) for layer, entries in reversed(list(layers))
        ]
    if "overrides_subschedule" in view.parts:
        body["overrides_subschedule"] = _sub_schedule(
            account, "Overrides", rendering.overrides if rendering else None, view, out_zone
        )
    if "final_schedule" in view.parts:
        body["final_schedule"] = _sub_schedule(
            account, "Final Schedule", rendering.final if rendering else None, view, out_zone
        )
    return body


def _render(schedule: Schedule, view: View) -> Rendering | None:
    if view.window is None:
        return None
    return render_schedule(schedule, *view.window, view.reading, view.overflow)


def _layer_json(
    account: Account, layer: Layer, entries: list[Entry] | None, view: View, out_zone: ZoneInfo
) -> dict[str, Any]:
    spec = layer.current
    return {
        "id": layer.id,
        "name": spec.name,
        "start": format_instant(spec.start, out_zone),
        "end": None if spec.end is None else format_instant(spec.end, out_zone),
        "rotation_virtual_start": format_instant(spec.rotation_virtual_start, out_zone),
        "rotation_turn_length_seconds": spec.turn_length_seconds,
        "users": [{"user": user_reference(account, user_id)} for user_id in spec.user_ids],
        "restrictions": [_restriction_json(item) for item in spec.restrictions],
        **_rendered(account, entries, view, out_zone),
    }


def _sub_schedule(
    account: Account, name: str, entries: list[Entry] | None, view: View, out_zone: ZoneInfo
) -> dict[str, Any]:
    return {"name": name, **_rendered(account, entries, view, out_zone)}


def _rendered(
    account: Account, entries: list[Entry] | None, view: View, out_zone: ZoneInfo
) -> dict[str, Any]:
    if entries is None or view.window is None:
        return {"rendered_schedule_entries": [], "rendered_coverage_percentage": None}
    return {
        "rendered_schedule_entries": [entry_json(account, entry, out_zone) for entry in entries],
        "rendered_coverage_percentage": coverage_percentage(entries, *view.window),
    }


def entry_json(account: Account, entry: Entry, out_zone: ZoneInfo) -> dict[str, Any]:
    return {
        "start": format_instant(entry.start, out_zone),
        "end": format_instant(entry.end, out_zone),
        "user": user_reference(account, entry.user_id),
    }


def _restriction_json(restriction: Restriction) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": restriction.kind.value,
        "start_time_of_day": restriction.start_time_of_day.strftime("%H:%M:%S"),
        "duration_seconds": restriction.duration_seconds,
    }
    if restriction.kind is RestrictionKind.WEEKLY:
        body["start_day_of_week"] = restriction.start_day_of_week
    return body
