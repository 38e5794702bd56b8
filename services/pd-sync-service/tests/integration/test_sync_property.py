"""Property: after any short sequence of the product's operations over 1-3 rotations (backup, merges,
swaps, leaving, joining, coverage changes, merges added later or removed) spanning the spring DST
change, PagerDuty shows the scheduler's timeline with zero differing seconds, under both readings."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pd_sync_rotas import ZONE
from pd_sync_shifts import local_boundaries
from pd_sync_world import EMAILS, World

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]
HOURS = [0, 3, 6, 8, 12, 16, 19, 22]  # window edges (01:00-02:00 does not exist on the change night)
PATTERNS = [[timedelta(hours=9)], [timedelta(hours=9), timedelta(days=3, hours=21)]]
Op = tuple[str, int, int]


@dataclass
class Scenario:
    coverages: list[tuple[time, time] | None]
    backups: list[bool]
    handoffs: list[timedelta]
    rosters: list[list[str]]
    merged_later: int
    ops: list[Op] = field(default_factory=list)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    count = draw(st.integers(1, 3))
    edges = sorted(draw(st.sets(st.sampled_from(HOURS), min_size=max(count, 2), max_size=max(count, 2))))
    windows = [(time(a), time(b)) for a, b in zip(edges, edges[1:] + edges[:1], strict=True)][:count]
    coverages: list[tuple[time, time] | None] = list(windows)
    if count == 1 and draw(st.booleans()):
        coverages = [None]
    people = st.lists(st.sampled_from(EMAILS), min_size=2, max_size=3, unique=True)
    op = st.tuples(
        st.sampled_from(["swap", "leave", "join", "cover", "unmerge"]),
        st.integers(0, count - 1),
        st.integers(0, 20),
    )
    return Scenario(
        coverages,
        [draw(st.booleans()) for _ in range(count)],
        draw(st.sampled_from(PATTERNS)),
        [draw(people) for _ in range(count)],
        draw(st.integers(0, count - 1)),
        draw(st.lists(op, max_size=4)),
    )


class Run:
    """Publishes one scenario with fresh rotation ids."""

    def __init__(self, world: World, scenario: Scenario) -> None:
        self.world, self.scenario = world, scenario
        self.ids = [str(uuid.uuid4()) for _ in scenario.rosters]
        self.bounds = local_boundaries(ZONE, datetime(2026, 3, 16), timedelta(days=7), scenario.handoffs, 15)
        self.joiners: dict[str, None] = {}

    async def configure(self, index: int) -> None:
        s = self.scenario
        await self.world.driver.configure(
            self.ids[index], target=self.ids[0], coverage=s.coverages[index], backup=s.backups[index]
        )
        roster = s.rosters[index]
        for shift, (start, end) in enumerate(itertools.pairwise(self.bounds)):
            await self._assign(index, shift, start, end, roster[shift % len(roster)])

    async def _assign(self, index: int, shift: int, start: datetime, end: datetime, person: str) -> None:
        roster = self.scenario.rosters[index]
        backup = roster[(roster.index(person) + 1) % len(roster)] if person in roster else roster[0]
        await self.world.driver.shift(self.ids[index], f"s{shift}", start, end, person, backup)

    async def apply(self, op: Op) -> None:
        kind, index, number = op
        roster = self.scenario.rosters[index]
        shift = number % (len(self.bounds) - 1)
        start, end = self.bounds[shift], self.bounds[shift + 1]
        if kind == "swap":
            await self._assign(index, shift, start, end, roster[(number + 1) % len(roster)])
        elif kind == "leave":
            await self._leave(index, roster[number % len(roster)])
        elif kind == "join":
            joiner = f"joiner-{uuid.uuid4().hex[:8]}@example.com"
            self.joiners[joiner] = None
            await self.world.driver.shift(self.ids[index], f"s{shift}", start, end, joiner, roster[0])
        elif kind == "cover":
            await self._shrink(index)
        elif kind == "unmerge" and index > 0:
            await self.world.driver.remove(self.ids[index])

    async def _leave(self, index: int, person: str) -> None:
        rotation = self.world.driver.model.rotations[self.ids[index]]
        stays = [p for p in self.scenario.rosters[index] if p != person]
        for shift_id, (start, end, primary, *_rest) in list(rotation.shifts.items()):
            if primary == person and start > self.world.sim.now():
                shift = int(shift_id[1:])
                await self._assign(index, shift, start, end, stays[shift % len(stays)])

    async def _shrink(self, index: int) -> None:
        """The coverage window closes an hour earlier (merged windows keep not overlapping)."""
        coverage = self.world.driver.model.rotations[self.ids[index]].coverage
        if coverage is None:
            return
        opens, closes = coverage
        length = (closes.hour - opens.hour) % 24
        if length >= 2:
            await self.world.driver.change_coverage(self.ids[index], (opens, time((closes.hour - 1) % 24)))

    async def provision_joiners(self) -> None:
        for joiner in self.joiners:
            await self.world.driver.provisioned(joiner, self.world.add_user(joiner))


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
async def test_pagerduty_equals_the_scheduler_after_any_operations(world: World, scenario: Scenario) -> None:
    run = Run(world, scenario)
    for index in range(len(scenario.rosters) - scenario.merged_later):
        await run.configure(index)
    await world.settle()
    for index in range(len(scenario.rosters) - scenario.merged_later, len(scenario.rosters)):
        await run.configure(index)  # merged later, into a schedule that already exists
    for op in scenario.ops:
        await run.apply(op)
    await run.provision_joiners()
    await world.settle()

    target = run.ids[0]
    for role in ("primary", "backup"):
        if world.results.synced(target, role):
            assert world.differing(target, role, allow_empty=True) == 0, role
