"""Shifts that ended longer than the retention ago are pruned on PostgreSQL, their on-call time kept per
member and role, and only where no allocation reads them: the plan rolled afterwards is the one the
whole history gives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from rotation_service.adapters.rotation_repository import SqlRotationRepository
from rotation_service.adapters.shift_retention import TOTALS, ShiftPruner, ShiftRetention
from rotation_service.bootstrap import Container
from rotation_service.domain.allocation import allocate
from rotation_service.domain.rotation import Rotation

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"
PEOPLE = ("ann@example.com", "bob@example.com", "cy@example.com")


async def load(container: Container, rotation_id: str) -> Rotation:
    async with container.sessions() as session:
        rotation = await SqlRotationRepository(session).get(rotation_id, for_update=False)
    assert rotation is not None
    return rotation


async def totals(container: Container, rotation_id: str) -> dict[tuple[str, str], tuple[int, int]]:
    async with container.engine.connect() as connection:
        rows = await connection.execute(select(TOTALS).where(TOTALS.c.rotation_id == rotation_id))
        return {(row.email, row.role): (row.seconds, row.shifts) for row in rows}


async def test_old_shifts_are_pruned_into_totals_without_changing_the_next_plan(
    api: Any, client: Any, container: Container, clock: Any
) -> None:
    rotation_id = (await api.create_rotation(OWNER, horizon_days=28, backup=True))["id"]
    for person in PEOPLE:
        await api.add_member(rotation_id, OWNER, person)
    clock.advance(timedelta(days=200))  # nobody rolled the plan since: its last shift ended long ago
    history = await load(container, rotation_id)
    old = sorted(history.shifts.values(), key=lambda shift: shift.start)
    assert len(old) >= 4
    pruner = ShiftPruner(container.engine, ShiftRetention(keep=timedelta(days=90)), clock=clock)

    assert await pruner.prune() == len(old) - 1
    kept = await load(container, rotation_id)
    assert list(kept.shifts) == [old[-1].id]  # the latest started shift: allocate reads it
    expected: dict[tuple[str, str], tuple[int, int]] = {}
    for shift in old[:-1]:
        for role, email in (("primary", shift.primary), ("backup", shift.backup)):
            if email is not None:
                seconds, count = expected.get((email, role), (0, 0))
                expected[email, role] = (seconds + int((shift.end - shift.start).total_seconds()), count + 1)
    assert await totals(container, rotation_id) == expected
    assert await pruner.prune() == 0

    # The next roll (and an edit's reallocation) plans exactly what the whole history would give.
    members = list(kept.members.values())
    for towards in (set(PEOPLE), set()):
        with_history = allocate(history.spec, members, old, clock(), rebalance_towards=towards)
        pruned = allocate(kept.spec, members, list(kept.shifts.values()), clock(), rebalance_towards=towards)
        assert pruned == [shift for shift in with_history if shift.id not in {s.id for s in old[:-1]}]
    assert await container.rotations.roll_horizons() == 1
    rolled = await load(container, rotation_id)
    assert (
        list(rolled.shifts.values())[1:]
        == allocate(history.spec, members, old, clock(), rebalance_towards=set(PEOPLE))[len(old) :]
    )

    # Later the rolled plan's own past goes the same way; a deleted rotation leaves no totals.
    clock.advance(timedelta(days=200))
    assert await container.rotations.roll_horizons() == 1
    assert await pruner.prune() > 0
    response = await client.delete(f"/v1/rotations/{rotation_id}", headers=api.auth(OWNER))
    assert response.status_code == 204, response.text
    assert await totals(container, rotation_id) == {}
