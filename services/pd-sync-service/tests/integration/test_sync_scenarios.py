"""Scenarios on the real broker and database against the simulator: PagerDuty equals the scheduler."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from pd_sync_harness import API_KEY, create_users, eventually, service_running
from pd_sync_reference import differing_seconds
from pd_sync_shifts import local_boundaries

from pagerduty_sim.testing import run_simulator
from pd_sync_service.domain.model import Assignment

pytestmark = pytest.mark.integration
ZONE = "Europe/London"
EMAILS = ["ada@example.com", "bob@example.com", "cy@example.com"]


def _writes(sim) -> list[dict]:
    return [r for r in sim.requests() if r["method"] in ("POST", "PUT") and "/schedules" in r["path"]]


def _schedule_requests(sim) -> list[dict]:
    return [r for r in sim.requests() if "/schedules" in r["path"]]


@pytest.mark.parametrize("dst", ["fixed", "wallclock"])
async def test_first_configuration_swap_and_replay(kafka_bootstrap_servers, topics, database_url, dst):
    with run_simulator([f"acme:{API_KEY}"], dst=dst) as sim:
        sim.set_clock(datetime(2026, 3, 20, 10, 0, tzinfo=UTC))
        ids = create_users(sim, EMAILS)
        rotation = "11111111-1111-4111-8111-111111111111"
        bounds = local_boundaries(ZONE, datetime(2026, 3, 16), timedelta(days=7), [timedelta(hours=9)], 9)
        async with service_running(kafka_bootstrap_servers, topics, database_url, sim) as driver:
            for email in EMAILS:
                await driver.provisioned(email, ids[email])
            await driver.configure(rotation)
            for index, (start, end) in enumerate(itertools.pairwise(bounds)):
                await driver.shift(rotation, f"s{index}", start, end, EMAILS[index % 3])
            await eventually(lambda: len(_writes(sim)) >= 1 and _matches(sim, bounds, EMAILS, ids))
            schedules = [r for r in _writes(sim) if r["method"] == "POST"]
            assert len(schedules) == 1

            before = len(_schedule_requests(sim))
            writes_before = len(_writes(sim))
            swapped = [EMAILS[1], EMAILS[0], EMAILS[2], EMAILS[1]]  # shifts 1 and 2 swap people
            await driver.shift(rotation, "s1", bounds[1], bounds[2], swapped[1])
            await driver.shift(rotation, "s2", bounds[2], bounds[3], EMAILS[1])
            expected_people = [EMAILS[0], EMAILS[0], EMAILS[1]] + [EMAILS[i % 3] for i in range(3, 8)]
            await eventually(lambda: _matches(sim, bounds, expected_people, ids, repeat=False))
            await asyncio_sleep(0.6)
            assert len(_writes(sim)) - writes_before <= 1
            assert len(_schedule_requests(sim)) - before <= 2


def _matches(sim, bounds, people, ids, repeat=True) -> bool:
    schedule_ids = {r["path"].split("/")[2] for r in sim.requests() if r["method"] == "PUT"}
    posted = [r for r in sim.requests() if r["method"] == "POST" and r["path"] == "/schedules"]
    if not posted:
        return False
    schedule_id = _schedule_id(sim) or next(iter(schedule_ids), None)
    if schedule_id is None:
        return False
    now = sim.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    until = bounds[-1]
    final = [Assignment(s, e, u) for s, e, u in sim.final_schedule(API_KEY, schedule_id, now, until)]
    expected = []
    for index, (start, end) in enumerate(itertools.pairwise(bounds)):
        person = people[index % len(people)] if repeat else people[index]
        if end > now:
            expected.append(Assignment(max(start, now), end, ids[person]))
    merged = []
    for entry in expected:
        if merged and merged[-1].user_id == entry.user_id and merged[-1].end == entry.start:
            merged[-1] = Assignment(merged[-1].start, entry.end, entry.user_id)
        else:
            merged.append(entry)
    return differing_seconds(final, merged) == 0


def _schedule_id(sim) -> str | None:
    for account in sim.simulator.accounts.values() if hasattr(sim.simulator, "accounts") else []:
        for schedule_id in getattr(account, "schedules", {}):
            return str(schedule_id)
    return None


async def asyncio_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
