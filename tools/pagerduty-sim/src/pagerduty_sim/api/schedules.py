"""Schedules: create, update (merging layers by id, history kept), get, list, delete, preview."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pagerduty_sim.api.layer_drafts import LayerDraft, read_layer_drafts, rewrite_past_start
from pagerduty_sim.api.pagination import paginate
from pagerduty_sim.api.schedule_json import ALL_PARTS, View, schedule_json
from pagerduty_sim.api.users import user_json
from pagerduty_sim.errors import invalid_input, invalid_schedule, schedule_not_found
from pagerduty_sim.model.account import Account
from pagerduty_sim.model.schedule import Layer, LayerVersion, Schedule
from pagerduty_sim.rendering import render_schedule
from pagerduty_sim.simulator import Simulator
from pagerduty_sim.timeutil import InvalidTimeError, parse_instant, zone

DEFAULT_WINDOW = timedelta(weeks=2)


def create_schedule(
    sim: Simulator, account: Account, body: Mapping[str, Any], params: Mapping[str, str]
) -> Any:
    """`POST /schedules`: 201. Layer order in the body is precedence order (the last wins)."""
    schedule = _new_schedule(sim, account, body)
    account.schedules[schedule.id] = schedule
    sim.applied(account, schedule, "create schedule")
    return 201, {"schedule": schedule_json(account, schedule, _view(sim, schedule, params))}


def preview_schedule(
    sim: Simulator, account: Account, body: Mapping[str, Any], params: Mapping[str, str]
) -> Any:
    """`POST /schedules/preview`: render a schedule body without saving it."""
    schedule = _new_schedule(sim, account, body)
    return 200, {"schedule": schedule_json(account, schedule, _view(sim, schedule, params))}


def update_schedule(
    sim: Simulator, account: Account, schedule_id: str, body: Mapping[str, Any], params: Mapping[str, str]
) -> Any:
    """`PUT /schedules/{id}`: changes apply from now on; the past keeps rendering as before.

    Sent layers with an `id` amend that layer (a past `start` becomes now; an omitted `end` keeps the
    old end; `"end": null` clears it). Sent layers without an `id` are added after the existing ones.
    Existing layers absent from the body are kept unchanged: layers are never deleted, only ended by
    sending them with an `end`. Precedence stays the order in which layers were first created.
    """
    schedule = find_schedule(account, schedule_id)
    data = body.get("schedule", {})
    tz = _zone(data.get("time_zone", schedule.time_zone.key))
    now = sim.clock.now()
    drafts = read_layer_drafts(account, data.get("schedule_layers", []), tz)
    _check_layer_ids(schedule, drafts)
    for draft in drafts:
        _apply_draft(sim, schedule, draft, now)
    schedule.touch()
    schedule.name = str(data.get("name", schedule.name))
    schedule.description = data.get("description", schedule.description)
    schedule.time_zone = tz
    sim.applied(account, schedule, "update schedule")
    return 200, {"schedule": schedule_json(account, schedule, _view(sim, schedule, params))}


def get_schedule(sim: Simulator, account: Account, schedule_id: str, params: Mapping[str, str]) -> Any:
    schedule = find_schedule(account, schedule_id)
    return 200, {"schedule": schedule_json(account, schedule, _view(sim, schedule, params))}


def list_schedules(sim: Simulator, account: Account, params: Mapping[str, str], includes: list[str]) -> Any:
    """`GET /schedules`: `query` matches names; layers and sub-schedules only when `include[]` asks."""
    query = params.get("query", "").casefold()
    matching = [item for item in account.schedules.values() if query in item.name.casefold()]
    page, fields = paginate(matching, params)
    parts = frozenset(includes) & ALL_PARTS
    bodies = [schedule_json(account, item, replace(_view(sim, item, params), parts=parts)) for item in page]
    return 200, {"schedules": bodies, **fields}


def delete_schedule(sim: Simulator, account: Account, schedule_id: str) -> Any:
    find_schedule(account, schedule_id)
    del account.schedules[schedule_id]
    sim.write_log.wake(account.config.subdomain, schedule_id)  # a long-poll on it answers at once
    return 204, None


def schedule_users(sim: Simulator, account: Account, schedule_id: str, params: Mapping[str, str]) -> Any:
    """`GET /schedules/{id}/users`: users on call in the final schedule within the window."""
    schedule = find_schedule(account, schedule_id)
    window = render_window(params, schedule.time_zone, sim.clock.now())
    since, until = window or (sim.clock.now(), sim.clock.now() + DEFAULT_WINDOW)
    final = render_schedule(schedule, since, until, sim.config.dst).final
    user_ids = list(dict.fromkeys(entry.user_id for entry in final))
    users = [user_json(account, account.users[uid]) for uid in user_ids if uid in account.users]
    return 200, {"users": users}


def render_window(params: Mapping[str, str], tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime] | None:
    """`since`/`until` from the query; one alone means a two-week window; neither means no rendering."""
    try:
        since = parse_instant(params["since"], tz) if params.get("since") else None
        until = parse_instant(params["until"], tz) if params.get("until") else None
    except InvalidTimeError as error:
        raise invalid_input(str(error)) from None
    if since is None:
        if until is None:
            return None
        since = until - DEFAULT_WINDOW
    if until is None:
        until = since + DEFAULT_WINDOW
    if until <= since:
        raise invalid_input("until must be after since")
    return since, until


def _view(sim: Simulator, schedule: Schedule, params: Mapping[str, str]) -> View:
    out_zone = _zone(params["time_zone"]) if params.get("time_zone") else None
    return View(
        window=render_window(params, schedule.time_zone, sim.clock.now()),
        out_zone=out_zone,
        reading=sim.config.dst,
        overflow=params.get("overflow", "false").lower() == "true",
    )


def _new_schedule(sim: Simulator, account: Account, body: Mapping[str, Any]) -> Schedule:
    data = body.get("schedule", {})
    tz = _zone(data.get("time_zone", ""))
    drafts = read_layer_drafts(account, data.get("schedule_layers", []), tz)
    now = sim.clock.now()
    layers = [Layer(sim.ids.new_id(), [LayerVersion(now, draft.spec)]) for draft in drafts]
    name = str(data.get("name") or "")
    if not name:
        raise invalid_schedule("Name can't be blank")
    return Schedule(sim.ids.new_id(), name, tz, data.get("description"), layers)


def _apply_draft(sim: Simulator, schedule: Schedule, draft: LayerDraft, now: datetime) -> None:
    spec = rewrite_past_start(draft.spec, now)
    layer = schedule.layer(draft.layer_id) if draft.layer_id else None
    if layer is None:
        schedule.layers.append(Layer(sim.ids.new_id(), [LayerVersion(now, spec)]))
        return
    if not draft.end_sent:
        spec = replace(spec, end=layer.current.end)
    layer.amend(spec, now)


def _check_layer_ids(schedule: Schedule, drafts: list[LayerDraft]) -> None:
    for draft in drafts:
        if draft.layer_id and schedule.layer(draft.layer_id) is None:
            raise invalid_schedule(f"Schedule layer {draft.layer_id} not found")


def find_schedule(account: Account, schedule_id: str) -> Schedule:
    schedule = account.schedules.get(schedule_id)
    if schedule is None:
        raise schedule_not_found()
    return schedule


def _zone(name: Any) -> ZoneInfo:
    try:
        return zone(str(name))
    except InvalidTimeError as error:
        raise invalid_schedule(str(error)) from None
