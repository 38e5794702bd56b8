"""The product's integration page, scenario by scenario, on the real broker and database against the
simulator (under both DST readings): PagerDuty equals the scheduler from now to the horizon, and the
service's `/metrics` count the work."""

from __future__ import annotations

import asyncio
from datetime import time

import httpx
import pytest
from pd_sync_harness import API_KEY
from pd_sync_rotas import WEEKS, new_rotation, publish_weeks, reassign
from pd_sync_world import EMAILS, World
from prometheus_client import REGISTRY
from sqlalchemy import text

from oncall_contracts import RotationDeleted
from oncall_pagerduty.budget import key_fingerprint
from oncall_platform.metrics import METRICS_PATH
from oncall_platform.probes import probe_app
from pd_sync_service.entrypoints.consumers import CONSUMER_GROUP

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
A, B, C, D, E, F = EMAILS[:6]
DAY, NIGHT = (time(7), time(19)), (time(19), time(7))
THIRDS = [(time(0), time(8)), (time(8), time(16)), (time(16), time(0))]


async def test_first_configuration_creates_one_schedule(world: World) -> None:
    rotation = new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, [A, B, C])
    await world.settle()

    schedule = world.schedule_id(rotation)
    assert len(world.creations(f"Schedule {rotation[:8]}")) == 1
    # The eight shifts are eight changes: each may cost at most one write after the create. How many
    # coalesce depends on how close together they arrive, which the machine's load decides.
    assert len(world.writes(schedule)) <= len(WEEKS) - 1
    assert world.differing(rotation) == 0
    synced = world.results.synced(rotation)[-1]
    assert synced.schedule_url.endswith(f"/schedules/{schedule}")
    assert synced.layer_ids
    assert synced.requests_spent >= 1


async def test_swap_costs_one_write(world: World) -> None:
    rotation = new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, [A, B, C])
    await world.settle()
    schedule = world.schedule_id(rotation)
    before = len(world.requests(schedule))

    # The rotation service's relay publishes a swap's two changes back to back.
    await asyncio.gather(reassign(world.driver, rotation, 1, C), reassign(world.driver, rotation, 2, B))
    await world.settle()

    spent = world.requests(schedule)[before:]
    assert len(spent) <= 2
    assert len([r for r in spent if r["method"] in ("POST", "PUT")]) == 1
    assert world.differing(rotation) == 0


async def test_backup_pattern_creates_a_second_schedule(world: World) -> None:
    rotation = new_rotation()
    await world.driver.configure(rotation, backup=True)
    await publish_weeks(world.driver, rotation, [A, B, C], backups=[B, C, A])
    await world.settle()

    primary, backup = world.schedule_id(rotation), world.schedule_id(rotation, "backup")
    assert primary != backup
    assert len(world.creations(f"Schedule {rotation[:8]} (backup)")) == 1
    assert world.differing(rotation) == 0
    assert world.differing(rotation, "backup") == 0


async def test_two_follow_the_sun_rotations_share_one_schedule(world: World) -> None:
    day, night = new_rotation(), new_rotation()
    await world.driver.configure(day, coverage=DAY)
    await world.driver.configure(night, target=day, coverage=NIGHT)
    await publish_weeks(world.driver, day, [A, B])
    await publish_weeks(world.driver, night, [C, D, E])
    await world.settle()

    assert world.schedule_id(night) == world.schedule_id(day)
    day_layers = set(world.results.synced(day)[-1].layer_ids)
    night_layers = set(world.results.synced(night)[-1].layer_ids)
    assert day_layers
    assert night_layers
    assert not day_layers & night_layers
    assert world.differing(day) == 0


async def test_three_follow_the_sun_rotations_with_backup(world: World) -> None:
    rotations = [new_rotation() for _ in THIRDS]
    for rotation, coverage in zip(rotations, THIRDS, strict=True):
        await world.driver.configure(rotation, target=rotations[0], coverage=coverage, backup=True)
    await publish_weeks(world.driver, rotations[0], [A, B], backups=[B, A])
    await publish_weeks(world.driver, rotations[1], [C, D], backups=[D, C])
    await publish_weeks(world.driver, rotations[2], [E, F, A], backups=[F, A, E])
    await world.settle()

    for role in ("primary", "backup"):
        assert {world.schedule_id(r, role) for r in rotations} == {world.schedule_id(rotations[0], role)}
        assert world.differing(rotations[0], role) == 0


async def test_member_leaving_and_joining(world: World) -> None:
    rotation = new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, [A, B, C])
    await world.settle()
    schedule = world.schedule_id(rotation)

    await world.driver.member_removed(rotation, B)  # B's future weeks 1, 4 go to A and C
    await reassign(world.driver, rotation, 1, A)
    await reassign(world.driver, rotation, 4, C)
    await world.settle()
    assert world.differing(rotation) == 0

    newcomer = "newcomer@example.com"  # joins: weeks 5 and 6 are his, before PagerDuty knows him
    await reassign(world.driver, rotation, 5, newcomer)
    await reassign(world.driver, rotation, 6, newcomer)
    await world.settle()
    writes = len(world.writes(schedule))
    await world.driver.provisioned(newcomer, world.add_user(newcomer))
    await world.settle()
    assert len(world.writes(schedule)) == writes + 1
    assert world.differing(rotation) == 0


async def test_coverage_change(world: World) -> None:
    day, night = new_rotation(), new_rotation()
    await world.driver.configure(day, coverage=DAY)
    await world.driver.configure(night, target=day, coverage=NIGHT)
    await publish_weeks(world.driver, day, [A, B])
    await publish_weeks(world.driver, night, [C, D])
    await world.settle()

    await world.driver.change_coverage(night, (time(21), time(5)))  # a gap opens at both ends
    await world.driver.change_coverage(day, (time(6), time(20)))
    await world.settle()
    assert world.differing(day) == 0


async def test_merge_added_later(world: World) -> None:
    day, night = new_rotation(), new_rotation()
    await world.driver.configure(day, coverage=DAY)
    await publish_weeks(world.driver, day, [A, B])
    await world.settle()
    schedule = world.schedule_id(day)

    await world.driver.configure(night, target=day, coverage=NIGHT)
    await publish_weeks(world.driver, night, [C, D])
    await world.settle()
    assert world.schedule_id(night) == schedule
    assert [r["method"] for r in world.writes(schedule)] == ["PUT"] * len(world.writes(schedule))
    assert world.differing(day) == 0


async def test_delete_and_stop(world: World) -> None:
    day, night = new_rotation(), new_rotation()
    await world.driver.configure(day, coverage=DAY)
    await world.driver.configure(night, target=day, coverage=NIGHT)
    await publish_weeks(world.driver, day, [A, B])
    await publish_weeks(world.driver, night, [C, D])
    await world.settle()
    schedule = world.schedule_id(day)

    await world.driver.remove(night)  # the merged rotation's layers end; the schedule stays
    await world.settle()
    assert world.differing(day) == 0

    since, until = world.window(day)
    before = world.final(schedule, since, until)
    requests = len(world.requests(schedule))
    await world.driver.remove(day)  # delete and stop: PagerDuty is left as it is
    await reassign(world.driver, day, 3, C)
    await reassign(world.driver, night, 3, A)
    await world.settle()
    assert len(world.requests(schedule)) == requests
    assert world.final(schedule, since, until) == before


async def test_a_deleted_rotation_leaves_no_rows_once_pagerduty_no_longer_needs_them(world: World) -> None:
    day, night = new_rotation(), new_rotation()
    await world.driver.configure(day, coverage=DAY)
    await world.driver.configure(night, target=day, coverage=NIGHT)
    await publish_weeks(world.driver, day, [A, B])
    await publish_weeks(world.driver, night, [C, D])
    await world.settle()
    kept = await _rows_of(world, night)
    assert kept["shifts"] > 0
    assert kept == {"rotations": 1, "shifts": kept["shifts"], "integrations": 1, "targets": 0}
    assert (await _rows_of(world, day))["targets"] == 2

    # What the rotation service sends when the merged rotation is deleted.
    await world.driver.remove(night)
    await world.driver.publish(RotationDeleted(rotation_id=night))
    await world.settle()
    assert world.differing(day) == 0  # its layers ended in the shared schedule
    assert await _rows_of(world, night) == {"rotations": 0, "shifts": 0, "integrations": 0, "targets": 0}

    await world.driver.remove(day)
    await world.driver.publish(RotationDeleted(rotation_id=day))
    await world.settle()
    assert await _rows_of(world, day) == {"rotations": 0, "shifts": 0, "integrations": 0, "targets": 0}


async def _rows_of(world: World, rotation_id: str) -> dict[str, int]:
    counts = {}
    async with world.engine.connect() as connection:
        for table, column in (
            ("rotations", "rotation_id"),
            ("shifts", "rotation_id"),
            ("integrations", "rotation_id"),
            ("targets", "target_rotation_id"),
        ):
            query = text(f"SELECT count(*) FROM {table} WHERE {column} = :id")
            counts[table] = int((await connection.execute(query, {"id": rotation_id})).scalar_one())
    return counts


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _sum(name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        for sample in metric.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


async def test_a_synced_change_moves_the_consumer_pagerduty_and_latency_metrics(world: World) -> None:
    consumed = _sum("oncall_events_consumed_total", consumer_group=CONSUMER_GROUP)
    folded = _sum("oncall_events_folded_total", consumer_group=CONSUMER_GROUP, event_type="ShiftChanged")
    writes = _sum("oncall_pagerduty_requests_total", method="POST") + _sum(
        "oncall_pagerduty_requests_total", method="PUT"
    )
    synced = _value("oncall_change_to_pagerduty_seconds_count", role="primary")
    published = _value("oncall_outbox_published_total")

    rotation = new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, list(EMAILS[:3]))
    await world.settle()
    assert world.differing(rotation) == 0

    assert _sum("oncall_events_consumed_total", consumer_group=CONSUMER_GROUP) >= consumed + 4
    shifts = _sum("oncall_events_folded_total", consumer_group=CONSUMER_GROUP, event_type="ShiftChanged")
    assert shifts >= folded + 3
    assert (
        _sum("oncall_pagerduty_requests_total", method="POST")
        + _sum("oncall_pagerduty_requests_total", method="PUT")
        > writes
    )
    assert _value("oncall_change_to_pagerduty_seconds_count", role="primary") > synced
    assert _value("oncall_outbox_published_total") > published  # the ScheduleSynced results
    fingerprint = key_fingerprint(API_KEY)
    assert _value("oncall_pagerduty_ratelimit_remaining_requests", key=fingerprint) > 0

    await world.service.relay.measure()
    assert _value("oncall_outbox_pending_messages") >= 0
    app = probe_app(world.service.broker, world.service.engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://pd-sync") as http:
        scrape = await http.get(METRICS_PATH)
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    body = scrape.text
    for name in (
        "oncall_change_to_pagerduty_seconds_bucket",
        "oncall_pagerduty_requests_total",
        "oncall_events_folded_total",
        "oncall_consumer_lag_records",
        "oncall_outbox_oldest_pending_age_seconds",
    ):
        assert name in body
    assert f'consumer_group="{CONSUMER_GROUP}"' in body
    assert API_KEY not in body  # keys appear only as their fingerprint
