"""One schedule write: create it, or update only what differs, or create it again when it was deleted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from oncall_contracts import DriftRepair
from oncall_pagerduty import NotFoundError
from pd_sync_service.adapters.schedule_json import layers_from_schedule, schedule_body, sync_key_mark
from pd_sync_service.domain.model import Assignment, Layer
from pd_sync_service.domain.plan import plan_layers, shows
from pd_sync_service.domain.records import TargetSchedule
from pd_sync_service.domain.schedule import expected_entries, schedule_layers
from pd_sync_service.service_layer.sources import TargetInputs

logger = logging.getLogger(__name__)


class PagerDutyApi(Protocol):
    requests_sent: int

    async def get(self, path: str, params: Any = None) -> dict[str, Any]: ...
    async def post(self, path: str, json: Any = None, *, at_most_once: bool = False) -> dict[str, Any]: ...
    async def put(self, path: str, json: Any = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WantedSchedule:
    """What one PagerDuty schedule must hold over [since, until): its layers and the entries they show.

    `since` is PagerDuty's `now` cut to the minute (layers are written on whole minutes); `now` itself
    is where the comparison starts: PagerDuty moves a past layer start to the time of the update, so
    the seconds before it are the past and are not compared. `sync_key` names the target and role in
    the schedule's description.
    """

    name: str
    sync_key: str
    zone: str
    layers: list[Layer]
    expected: list[Assignment]
    since: datetime
    until: datetime
    now: datetime

    def shown_by(self, layers: list[Layer]) -> bool:
        return shows(layers, self.expected, self.zone, self.now, self.until)

    def body(self, layers: list[Layer]) -> dict[str, Any]:
        return schedule_body(self.name, self.zone, layers, self.sync_key)


def wanted_schedule(role: str, inputs: TargetInputs, now: datetime) -> WantedSchedule:
    """`now` is PagerDuty's; the horizon is the last shift's end."""
    now = now.astimezone(UTC)
    since = now.replace(second=0, microsecond=0)
    zone = inputs.owner.schedule_time_zone
    ends = [a.end for s in inputs.sources for a in s.assignments]
    until = max([since + timedelta(days=1), *ends]).replace(second=0, microsecond=0)
    name = inputs.owner.schedule_name + (" (backup)" if role == "backup" else "")
    return WantedSchedule(
        name,
        f"{inputs.owner.rotation_id}/{role}",
        zone,
        schedule_layers(inputs.sources, zone, since, until),
        expected_entries(inputs.sources, since, until),
        since,
        until,
        now,
    )


async def write_schedule(
    client: PagerDutyApi, target: TargetSchedule, wanted: WantedSchedule
) -> tuple[list[Layer], list[DriftRepair]]:
    """Make PagerDuty show `wanted`; return the layers it now holds and the drift repaired (what
    someone changed or deleted by hand; empty when nothing was)."""
    target.synced_until = wanted.until
    if target.schedule_id is None:
        return await _create(client, target, wanted)
    try:
        return await _update(client, target, wanted)
    except NotFoundError:
        logger.warning("schedule %s was deleted in PagerDuty; creating it again", target.schedule_id)
        target.schedule_id = None
        layers, _ = await _create(client, target, wanted)
        return layers, ["schedule_deleted"]


async def _create(
    client: PagerDutyApi, target: TargetSchedule, wanted: WantedSchedule
) -> tuple[list[Layer], list[DriftRepair]]:
    """Every create is preceded by the look-up by sync key, so whichever replica takes a target up
    reads before it writes: a create whose answer was lost, or whose replica died before its commit
    (the target row then shows no schedule), is adopted instead of repeated. The POST is sent once."""
    if await _adopt_unconfirmed(client, target, wanted):
        return await _update(client, target, wanted)
    body = (await client.post("/schedules", json=wanted.body(wanted.layers), at_most_once=True))["schedule"]
    target.schedule_id, target.schedule_url = str(body["id"]), str(body.get("html_url") or "")
    return _with_owners(body, wanted.layers, []), []


async def _adopt_unconfirmed(client: PagerDutyApi, target: TargetSchedule, wanted: WantedSchedule) -> bool:
    """Take up the schedule an earlier create made without its answer reaching us (a lost answer, a
    crash before the commit): the one by this name whose description carries the target's sync key.
    Its layers are assigned to their owners in creation order when their number matches."""
    mark = sync_key_mark(wanted.sync_key)
    offset = 0
    while True:
        page = await client.get("/schedules", params={"query": wanted.name, "limit": 100, "offset": offset})
        found = next((item for item in page["schedules"] if mark in (item.get("description") or "")), None)
        if found is not None or not page.get("more") or not page["schedules"]:
            break
        offset += len(page["schedules"])
    if found is None:
        return False
    logger.warning("adopting schedule %s, created by a write whose answer was lost", found["id"])
    fetched = (await client.get(f"/schedules/{found['id']}"))["schedule"]
    fresh = layers_from_schedule(fetched, {})
    layers = _with_owners(fetched, wanted.layers, []) if len(fresh) == len(wanted.layers) else fresh
    target.schedule_id, target.schedule_url = str(found["id"]), str(found.get("html_url") or "")
    target.layers, target.check_drift = layers, False
    return True


async def _update(
    client: PagerDutyApi, target: TargetSchedule, wanted: WantedSchedule
) -> tuple[list[Layer], list[DriftRepair]]:
    """PUT only when the schedule PagerDuty holds does not show `wanted` (its layers, name and time
    zone); on a drift check read it first."""
    stored = target.layers
    held, repairs, settings_drifted = stored, [], False
    if target.check_drift:
        fetched = (await client.get(f"/schedules/{target.schedule_id}"))["schedule"]
        owners = {layer.id: layer.owner for layer in stored if layer.id and layer.owner}
        held = layers_from_schedule(fetched, owners)
        repairs = drift_found(fetched, stored, held, wanted)
        settings_drifted = bool({"schedule_renamed", "time_zone_changed"} & set(repairs))
    if wanted.shown_by(held) and not settings_drifted:
        return held, []
    sent = plan_layers(held, wanted.layers, wanted.since)
    body = (await client.put(f"/schedules/{target.schedule_id}", json=wanted.body(sent)))["schedule"]
    return _with_owners(body, [layer for layer in sent if layer.id is None], sent), repairs


def drift_found(
    fetched: dict[str, Any], stored: list[Layer], held: list[Layer], wanted: WantedSchedule
) -> list[DriftRepair]:
    """What was changed by hand in the schedule read (`fetched`, its layers `held`) since we wrote
    `stored`: a renamed schedule or another time zone, and, when its layers no longer show what ours
    did, layers added, deleted (or ended) or edited."""
    repairs: list[DriftRepair] = []
    if fetched.get("name") != wanted.name:
        repairs.append("schedule_renamed")
    if fetched.get("time_zone") != wanted.zone:
        repairs.append("time_zone_changed")
    if wanted.shown_by(held) or not wanted.shown_by(stored):
        return repairs  # the layers show the timeline, or our own layers were stale anyway
    now = wanted.now
    ours = {layer.id for layer in stored if layer.id and layer.is_live(now)}
    live = {layer.id for layer in held if layer.id and layer.is_live(now)}
    ends = {layer.id: layer.end for layer in stored if layer.id in ours}
    ended = {layer.id for layer in held if layer.id in ends and _ends_sooner(layer.end, ends[layer.id])}
    edited = [layer for layer in held if layer.id in (ours & live) - ended and layer not in stored]
    if any(layer.owner is None and layer.is_live(now) for layer in held):
        repairs.append("layer_added")
    if ours - live or ended:  # deleted, or ended (PagerDuty's API can only end a layer)
        repairs.append("layer_deleted")
    if edited or not {"layer_added", "layer_deleted"} & set(repairs):
        repairs.append("layers_edited")
    return repairs


def _ends_sooner(held: datetime | None, ours: datetime | None) -> bool:
    """A layer now ending before we had it end (or at all, where ours never did)."""
    return held is not None and (ours is None or held < ours)


def _with_owners(body: dict[str, Any], created: list[Layer], sent: list[Layer]) -> list[Layer]:
    """PagerDuty's layers (precedence order) with owners: known ids from `sent`, and the layers it
    appended for `created`, in order."""
    owners = {layer.id: layer.owner for layer in sent if layer.id and layer.owner}
    layers = layers_from_schedule(body, owners)
    fresh = [index for index, layer in enumerate(layers) if layer.id not in owners]
    for index, layer in zip(fresh[len(fresh) - len(created) :], created, strict=True):
        layers[index] = Layer(**{**layers[index].__dict__, "owner": layer.owner})
    return layers
