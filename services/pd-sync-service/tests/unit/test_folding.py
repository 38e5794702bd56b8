"""Folding contract events into the service's state and marking the affected schedules dirty, on the
in-memory fakes the service layer is tested with and on the SQL adapters (SQLite): the same cases, so
the fakes keep the adapters' rules."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pd_sync_state import (
    ACCOUNT,
    NOW,
    InMemoryState,
    SqlState,
    State,
    apply,
    integration,
    provisioned,
    shift,
    sqlite_sessions,
    target,
)

from oncall_contracts import IntegrationRemoved, RotationDeleted
from pd_sync_service.service_layer.folding import BatchFolder, await_users, fold

OWN, MERGED, OTHER = (f"{n}1111111-1111-4111-8111-111111111111" for n in ("a", "b", "c"))


@pytest.fixture(params=["in-memory", "sql"])
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[State]:
    if request.param == "in-memory":
        yield InMemoryState()
        return
    async with sqlite_sessions(tmp_path) as sessions:
        yield SqlState(sessions)


async def test_stale_and_replayed_shift_changes_are_dropped(state: State) -> None:
    await apply(state, integration(OWN), shift(OWN, 0, "ada@example.com", revision=5))
    dirty = (await target(state, OWN)).dirty_seq
    await apply(state, shift(OWN, 0, "bob@example.com", revision=4))
    await apply(state, shift(OWN, 0, "cy@example.com", revision=5))
    async with state.unit_of_work() as uow:
        kept = await uow.shifts.get(OWN, "w0")
    assert kept is not None
    assert kept.primary_email == "ada@example.com"
    assert (await target(state, OWN)).dirty_seq == dirty


async def test_a_newer_shift_change_replaces_and_marks_both_roles_dirty(state: State) -> None:
    await apply(state, integration(OWN), shift(OWN, 0, "ada@example.com", revision=1))
    before = [(await target(state, OWN, role)).dirty_seq for role in ("primary", "backup")]
    await apply(state, shift(OWN, 0, "bob@example.com", revision=2))
    after = [(await target(state, OWN, role)).dirty_seq for role in ("primary", "backup")]
    assert [b + 1 for b in before] == after


async def test_shifts_of_a_rotation_without_integration_mark_nothing(state: State) -> None:
    await apply(state, shift(OTHER, 0, "ada@example.com", revision=1))
    assert await target(state, OTHER) is None


async def test_a_merge_marks_the_shared_target_and_a_move_marks_both(state: State) -> None:
    await apply(state, integration(OWN), integration(OTHER))
    own, other = (await target(state, OWN)).dirty_seq, (await target(state, OTHER)).dirty_seq
    await apply(state, integration(MERGED, target=OWN))
    assert (await target(state, OWN)).dirty_seq == own + 1
    await apply(state, integration(MERGED, target=OTHER, revision=2))
    assert (await target(state, OWN)).dirty_seq == own + 2  # its layer must end there
    assert (await target(state, OTHER)).dirty_seq == other + 1


async def test_removing_a_merged_rotation_marks_the_target_and_stale_removal_is_ignored(state: State) -> None:
    await apply(state, integration(OWN), integration(MERGED, target=OWN, revision=3))
    before = (await target(state, OWN)).dirty_seq
    await apply(state, IntegrationRemoved(rotation_id=MERGED, revision=2))
    assert (await target(state, OWN)).dirty_seq == before
    await apply(state, IntegrationRemoved(rotation_id=MERGED, revision=4))
    assert (await target(state, OWN)).dirty_seq == before + 1
    await apply(state, shift(MERGED, 0, "ada@example.com", revision=1))
    assert (await target(state, OWN)).dirty_seq == before + 1  # removed: no more writes


async def remembered(state: State, rotation: str) -> dict[str, bool]:
    async with state.unit_of_work() as uow:
        return {
            "rotation": await uow.rotations.get(rotation) is not None,
            "shift": await uow.shifts.get(rotation, "w0") is not None,
            "integration": await uow.integrations.get(rotation) is not None,
        }


async def test_a_deleted_merged_rotation_is_forgotten_and_its_layer_still_ends(state: State) -> None:
    await apply(state, integration(OWN), integration(MERGED, target=OWN))
    await apply(state, shift(MERGED, 0, "ada@example.com", revision=1))
    assert await remembered(state, MERGED) == {"rotation": True, "shift": True, "integration": True}
    before = (await target(state, OWN)).dirty_seq
    # What the rotation service sends when a merged rotation is deleted, in its partition's order.
    await apply(
        state, IntegrationRemoved(rotation_id=MERGED, revision=2), RotationDeleted(rotation_id=MERGED)
    )
    assert await remembered(state, MERGED) == {"rotation": False, "shift": False, "integration": False}
    assert (await target(state, OWN)).dirty_seq == before + 1  # the sync ends its layer
    assert await target(state, MERGED) is None


async def test_a_deleted_rotation_without_a_removal_first_still_ends_its_layer(state: State) -> None:
    await apply(state, integration(OWN), integration(MERGED, target=OWN))
    before = (await target(state, OWN)).dirty_seq
    await apply(state, RotationDeleted(rotation_id=MERGED))
    assert (await target(state, OWN)).dirty_seq == before + 1
    assert await remembered(state, MERGED) == {"rotation": False, "shift": False, "integration": False}


async def test_a_deleted_owner_loses_its_schedules_rows_and_a_later_merge_end_brings_none_back(
    state: State,
) -> None:
    await apply(state, integration(OWN), integration(MERGED, target=OWN))
    await apply(state, shift(OWN, 0, "ada@example.com", revision=1))
    await _await(state, OWN, "ada@example.com")
    await apply(state, IntegrationRemoved(rotation_id=OWN, revision=2), RotationDeleted(rotation_id=OWN))
    # The merged rotation's removal is keyed by its own id: another partition, folded after.
    await apply(state, IntegrationRemoved(rotation_id=MERGED, revision=2))
    assert await remembered(state, OWN) == {"rotation": False, "shift": False, "integration": False}
    assert await target(state, OWN) is None
    assert await target(state, OWN, "backup") is None
    async with state.unit_of_work() as uow:
        assert await uow.awaited.stop_awaiting(ACCOUNT.key, "ada@example.com") == set()


async def test_marks_create_rows_only_for_a_target_whose_own_integration_is_active(state: State) -> None:
    # A merge configured before its target's own integration: nothing to write to yet.
    await apply(state, integration(MERGED, target=OWN), shift(MERGED, 0, "ada@example.com", revision=1))
    assert await target(state, OWN) is None
    await apply(state, integration(OWN))  # its own configuration creates both roles' rows
    assert await target(state, OWN) is not None
    assert await target(state, OWN, "backup") is not None
    # Deleted, then a merged rotation's change folded after (another partition): no rows come back.
    await apply(state, RotationDeleted(rotation_id=OWN))
    await apply(state, shift(MERGED, 0, "bob@example.com", revision=2))
    await apply(state, integration(MERGED, target=OWN, revision=2))
    assert await target(state, OWN) is None
    assert await target(state, OWN, "backup") is None


async def _await(state: State, target_id: str, *emails: str) -> None:
    async with state.unit_of_work() as uow:
        await await_users(uow, ACCOUNT.key, target_id, "primary", set(emails))
        await uow.commit()


async def test_a_provisioned_user_wakes_a_waiting_target_once_nobody_else_is_awaited(state: State) -> None:
    await apply(state, integration(OWN), integration(OTHER))
    await _await(state, OWN, "ada@example.com", "bob@example.com")
    own, other = (await target(state, OWN)).dirty_seq, (await target(state, OTHER)).dirty_seq
    await apply(state, provisioned("Ada@Example.com", "PADA"))
    assert (await target(state, OWN)).dirty_seq == own  # still waits for bob
    await apply(state, provisioned("bob@example.com", "PBOB"))
    await apply(state, provisioned("bob@example.com", "PBOB"))
    assert (await target(state, OWN)).dirty_seq == own + 1
    assert (await target(state, OTHER)).dirty_seq == other  # it waited for no one


async def test_a_user_whose_id_changed_marks_the_targets_showing_that_email(state: State) -> None:
    await apply(state, integration(OWN), integration(OTHER), shift(OWN, 0, "Ada@Example.com", 1))
    await apply(state, provisioned("ada@example.com", "PADA"))
    own, other = (await target(state, OWN)).dirty_seq, (await target(state, OTHER)).dirty_seq
    await apply(state, provisioned("ada@example.com", "PADA2"))
    assert (await target(state, OWN)).dirty_seq == own + 1
    assert (await target(state, OTHER)).dirty_seq == other


async def _fold_as_one_batch(state: State, payloads: list[tuple[Any, datetime]]) -> None:
    async with state.unit_of_work() as uow:
        folder = BatchFolder(uow, lambda: NOW)
        for payload, accepted_at in payloads:
            await folder.fold(payload, accepted_at)
        await folder.flush()
        await uow.commit()


async def _seen(state: State, keys: list[tuple[str, str]]) -> dict[str, Any]:
    async with state.unit_of_work() as uow:
        kept = {key: await uow.shifts.get(*key) for key in keys}
    shifts = {key: None if s is None else (s.revision, s.primary_email) for key, s in kept.items()}
    targets = {}
    for rotation in (OWN, MERGED, OTHER):
        found = await target(state, rotation)
        changed = None if found is None or found.changed_at is None else found.changed_at.replace(tzinfo=None)
        targets[rotation] = None if found is None else (found.dirty_seq > found.synced_seq, changed)
    return {"shifts": shifts, "targets": targets}


async def test_a_batch_folds_as_its_events_one_at_a_time(tmp_path: Path) -> None:
    """Runs of shifts are written in one statement, yet the outcome is the one-by-one outcome: the
    highest revision of each shift, a stale one ignored, what came after a deletion kept apart, and
    the earliest acceptance of the changes each target waits for."""
    at = [NOW + timedelta(seconds=n) for n in range(12)]
    setup = [integration(OWN), integration(MERGED, OWN), integration(OTHER)]
    batch: list[tuple[Any, datetime]] = [
        (shift(OWN, 0, "ada@example.com", revision=3), at[1]),
        (shift(MERGED, 0, "bob@example.com", revision=2), at[2]),
        (shift(OWN, 0, "cy@example.com", revision=2), at[3]),  # stale within the batch
        (shift(OWN, 1, "dan@example.com", revision=4), at[4]),
        (shift(OWN, 0, "eve@example.com", revision=5), at[5]),
        (RotationDeleted(rotation_id=OTHER), at[6]),
        (shift(OTHER, 0, "fay@example.com", revision=1), at[7]),  # after its rotation's deletion
        (shift(MERGED, 1, "gus@example.com", revision=1), at[8]),
        (shift(MERGED, 0, "hal@example.com", revision=1), at[9]),  # older than the one kept
    ]
    keys = [(OWN, "w0"), (OWN, "w1"), (MERGED, "w0"), (MERGED, "w1"), (OTHER, "w0")]
    outcomes = []
    for folding in ("one at a time", "one batch"):
        for kind in ("in-memory", "sql"):
            async with contextlib.AsyncExitStack() as stack:
                if kind == "in-memory":
                    state: State = InMemoryState()
                else:
                    directory = tmp_path / f"{folding}-{kind}".replace(" ", "-")
                    directory.mkdir()
                    state = SqlState(await stack.enter_async_context(sqlite_sessions(directory)))
                await apply(state, *setup)  # marks without a change time: the batch's marks set it
                if folding == "one batch":
                    await _fold_as_one_batch(state, batch)
                else:
                    for payload, accepted_at in batch:
                        async with state.unit_of_work() as uow:
                            await fold(uow, payload, NOW, accepted_at)
                            await uow.commit()
                outcomes.append(await _seen(state, keys))
    for outcome in outcomes[1:]:
        assert outcome == outcomes[0]
    assert outcomes[0]["shifts"][OWN, "w0"] == (5, "eve@example.com")
    assert outcomes[0]["shifts"][MERGED, "w0"] == (2, "bob@example.com")
    assert outcomes[0]["targets"][OWN] == (True, at[1].replace(tzinfo=None))
    assert outcomes[0]["targets"][OTHER] is None
