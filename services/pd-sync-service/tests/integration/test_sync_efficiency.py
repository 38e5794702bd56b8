"""Request efficiency, counted in the simulator's request log."""

from __future__ import annotations

import asyncio
import itertools
import random

import pytest
from pd_sync_rotas import WEEKS, new_rotation, publish_weeks
from pd_sync_world import EMAILS, World

# Request counts do not depend on how PagerDuty reads DST: one reading is enough.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.parametrize("world", ["fixed"], indirect=True),
]


async def test_replaying_a_thousand_applied_events_costs_no_request(world: World) -> None:
    rotation = new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, EMAILS[:3])
    await world.settle()
    applied = list(world.driver.published)
    requests = len(world.requests())

    await world.driver.replay(list(itertools.islice(itertools.cycle(applied), 1000)))
    await world.settle()

    assert len(world.requests()) == requests
    assert world.differing(rotation) == 0


async def test_fifty_shift_changes_within_a_second_cost_at_most_three_writes(world: World) -> None:
    rotation = new_rotation()
    await world.driver.configure(rotation)
    await publish_weeks(world.driver, rotation, EMAILS[:3])
    await world.settle()
    schedule = world.schedule_id(rotation)
    writes = len(world.writes(schedule))

    pick = random.Random(7)
    changes = []
    for _ in range(50):
        week = pick.randrange(1, len(WEEKS) - 1)
        changes.append((week, pick.choice(EMAILS)))
    await asyncio.gather(
        *(
            world.driver.shift(rotation, f"w{week}", WEEKS[week], WEEKS[week + 1], person)
            for week, person in changes
        )
    )
    await world.settle()

    assert len(world.writes(schedule)) - writes <= 3
    assert world.differing(rotation) == 0
