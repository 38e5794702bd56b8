"""The periodic reconcile repairs hand edits in PagerDuty and re-creates a schedule deleted by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pd_sync_harness import PD_HEADERS
from pd_sync_rotas import new_rotation, publish_weeks
from pd_sync_world import EMAILS, World, world_running

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reconciling(kafka_bootstrap_servers: str, postgres_server_url: str) -> AsyncIterator[World]:
    """A service whose periodic reconcile runs every two seconds (the DST reading does not matter)."""
    async with world_running(
        kafka_bootstrap_servers, postgres_server_url, "fixed", reconcile_interval_seconds=2.0
    ) as running:
        yield running


def _edit_by_hand(world: World, schedule_id: str, user_id: str) -> None:
    """Someone puts `user_id` on every turn of the schedule's newest layer in PagerDuty's web UI."""
    with httpx.Client(base_url=world.sim.base_url, headers=PD_HEADERS) as http:
        schedule = http.get(f"/schedules/{schedule_id}").raise_for_status().json()["schedule"]
        layers = list(reversed(schedule["schedule_layers"]))  # GET lists them newest first
        now = world.sim.now()
        live = [layer for layer in layers if layer["end"] is None or _instant(layer["end"]) > now]
        live[-1]["users"] = [{"user": {"id": user_id, "type": "user_reference"}}]
        body = {"schedule": {**schedule, "schedule_layers": live}}
        http.put(f"/schedules/{schedule_id}", json=body).raise_for_status()


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _delete_by_hand(world: World, schedule_id: str) -> None:
    with httpx.Client(base_url=world.sim.base_url, headers=PD_HEADERS) as http:
        http.delete(f"/schedules/{schedule_id}").raise_for_status()


async def test_hand_edit_is_repaired_and_reported(reconciling: World) -> None:
    world, rotation = reconciling, new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, EMAILS[:3])
    await world.settle()
    schedule = world.schedule_id(rotation)

    _edit_by_hand(world, schedule, world.user_ids[EMAILS[5]])
    assert world.differing(rotation) > 0

    await world.wait_synced_where(rotation, lambda event: event.drift_repaired)
    await world.settle()
    assert world.differing(rotation) == 0
    assert world.schedule_id(rotation) == schedule
    assert any("layers_edited" in e.repairs for e in world.results.synced(rotation))


async def test_schedule_deleted_by_hand_is_created_again(reconciling: World) -> None:
    world, rotation = reconciling, new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, EMAILS[2:5])
    await world.settle()
    deleted = world.schedule_id(rotation)

    _delete_by_hand(world, deleted)
    await world.wait_synced_where(rotation, lambda event: event.schedule_id != deleted)
    await world.settle()

    repaired = next(e for e in world.results.synced(rotation) if e.schedule_id != deleted)
    assert repaired.drift_repaired
    assert repaired.repairs == ["schedule_deleted"]
    assert len(world.creations(f"Schedule {rotation[:8]}")) == 2
    assert world.differing(rotation) == 0


def _put_by_hand(world: World, schedule_id: str, change: Any) -> dict[str, Any]:
    """Someone edits the schedule in PagerDuty's web UI: `change(schedule, live_layers)` edits it."""
    with httpx.Client(base_url=world.sim.base_url, headers=PD_HEADERS) as http:
        schedule = http.get(f"/schedules/{schedule_id}").raise_for_status().json()["schedule"]
        now = world.sim.now()
        layers = list(reversed(schedule["schedule_layers"]))  # GET lists them newest first
        live = [layer for layer in layers if layer["end"] is None or _instant(layer["end"]) > now]
        change(schedule, live)
        body = {"schedule": {**schedule, "schedule_layers": live}}
        return dict(http.put(f"/schedules/{schedule_id}", json=body).raise_for_status().json()["schedule"])


def _schedule(world: World, schedule_id: str) -> dict[str, Any]:
    with httpx.Client(base_url=world.sim.base_url, headers=PD_HEADERS) as http:
        return dict(http.get(f"/schedules/{schedule_id}").raise_for_status().json()["schedule"])


async def _repaired(world: World, rotation: str, repair: str) -> None:
    await world.wait_synced_where(rotation, lambda event: repair in event.repairs)
    await world.settle()
    assert world.differing(rotation) == 0


async def test_a_renamed_schedule_and_its_time_zone_are_put_back(reconciling: World) -> None:
    world, rotation = reconciling, new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, EMAILS[:3])
    await world.settle()
    schedule = world.schedule_id(rotation)

    def rename(body: dict[str, Any], live: list[dict[str, Any]]) -> None:
        body["name"], body["time_zone"] = "Renamed by hand", "America/New_York"

    _put_by_hand(world, schedule, rename)
    await _repaired(world, rotation, "schedule_renamed")
    repaired = _schedule(world, schedule)
    assert (repaired["name"], repaired["time_zone"]) == (f"Schedule {rotation[:8]}", "Europe/London")
    assert any("time_zone_changed" in e.repairs for e in world.results.synced(rotation))


async def test_a_layer_added_by_hand_is_ended(reconciling: World) -> None:
    world, rotation = reconciling, new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, EMAILS[:3])
    await world.settle()
    schedule = world.schedule_id(rotation)
    intruder = world.user_ids[EMAILS[6]]

    def add_layer(body: dict[str, Any], live: list[dict[str, Any]]) -> None:
        extra = {k: v for k, v in live[-1].items() if k not in ("id", "rendered_schedule_entries")}
        live.append(
            {
                **extra,
                "name": "Added by hand",
                "users": [{"user": {"id": intruder, "type": "user_reference"}}],
            }
        )

    _put_by_hand(world, schedule, add_layer)
    assert world.differing(rotation) > 0
    await _repaired(world, rotation, "layer_added")


async def test_a_layer_ended_by_hand_is_written_again(reconciling: World) -> None:
    world, rotation = reconciling, new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, EMAILS[:3])
    await world.settle()
    schedule = world.schedule_id(rotation)

    def end_layers(body: dict[str, Any], live: list[dict[str, Any]]) -> None:
        soon = world.sim.now().replace(second=0, microsecond=0) + timedelta(minutes=2)
        for layer in live:
            if _instant(layer["start"]) < soon:  # the layers in force now (not later pieces)
                layer["end"] = soon.isoformat()

    _put_by_hand(world, schedule, end_layers)
    assert world.differing(rotation) > 0
    await _repaired(world, rotation, "layer_deleted")
