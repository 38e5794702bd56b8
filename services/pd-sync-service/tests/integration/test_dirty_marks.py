"""Dirty marks on PostgreSQL: kept until the unit of work commits, written once per target in target
order, so consumers folding batches that touch the same schedules in different orders never deadlock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from pd_sync_state import ACCOUNT, NOW, SqlState, apply, integration, postgres_sessions, shift
from sqlalchemy import func, select, text

from oncall_contracts import RotationDeleted
from pd_sync_service.adapters import orm
from pd_sync_service.service_layer.folding import await_users, fold, mark_target_dirty

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

FIRST = "a1111111-1111-4111-8111-111111111111"
SECOND = "b2222222-2222-4222-8222-222222222222"
MERGED = "c3333333-3333-4333-8333-333333333333"
ADA = "ada@example.com"
T = TypeVar("T")


@pytest_asyncio.fixture
async def state(postgres_server_url: str) -> AsyncIterator[SqlState]:
    async with postgres_sessions(postgres_server_url) as made:
        state = SqlState(made)
        await apply(state, integration(FIRST), integration(SECOND))
        yield state


async def _within(step: Awaitable[T], seconds: float = 10.0) -> T:
    """A step that would wait on the other transaction's row lock fails here instead of hanging."""
    return await asyncio.wait_for(step, seconds)


async def _dirty_seq(state: SqlState, rotation: str) -> int:
    target = await state.target(rotation)
    assert target is not None
    return target.dirty_seq


async def test_two_batches_marking_the_same_targets_in_opposite_orders_both_commit(state: SqlState) -> None:
    before = {rotation: await _dirty_seq(state, rotation) for rotation in (FIRST, SECOND)}
    one, other = state.unit_of_work(), state.unit_of_work()
    async with one, other:
        # interleaved as two replicas' batches are: each holds a mark the other one needs next
        await _within(fold(one, shift(FIRST, 1, ADA, revision=2), NOW))
        await _within(fold(other, shift(SECOND, 1, ADA, revision=2), NOW))
        await _within(fold(one, shift(SECOND, 2, ADA, revision=3), NOW))
        await _within(fold(other, shift(FIRST, 2, ADA, revision=3), NOW))
        await _within(asyncio.gather(one.commit(), other.commit()))

    after = {rotation: await _dirty_seq(state, rotation) for rotation in (FIRST, SECOND)}
    assert after == {rotation: seq + 2 for rotation, seq in before.items()}


async def test_marks_of_one_unit_of_work_merge_into_one_per_target(state: SqlState) -> None:
    before = await state.target(FIRST)
    assert before is not None
    async with state.unit_of_work() as uow:
        await fold(uow, shift(FIRST, 1, ADA, revision=2), NOW, NOW - timedelta(seconds=5))
        await mark_target_dirty(uow, FIRST, NOW + timedelta(seconds=1), drift=True)
        await fold(uow, shift(FIRST, 2, ADA, revision=3), NOW + timedelta(seconds=2), NOW)
        unchanged = await state.target(FIRST)  # another session: nothing written before the commit
        await uow.commit()

    after = await state.target(FIRST)
    assert unchanged == before
    assert after is not None
    assert after.dirty_seq == before.dirty_seq + 1
    assert after.last_dirty_at == NOW + timedelta(seconds=2)
    assert after.check_drift
    expected_changed_at: Any = before.changed_at or NOW - timedelta(seconds=5)
    assert after.changed_at == expected_changed_at


async def test_a_rotation_deleted_after_its_mark_in_one_batch_keeps_no_target_rows(
    state: SqlState,
) -> None:
    async with state.unit_of_work() as uow:
        await fold(uow, shift(SECOND, 1, ADA, revision=2), NOW)
        await fold(uow, RotationDeleted(rotation_id=SECOND), NOW)
        await uow.commit()

    assert await state.target(SECOND) is None
    assert await state.target(SECOND, "backup") is None


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(shift(MERGED, 1, ADA, revision=2), id="shift-of-merged"),
        pytest.param(integration(MERGED, FIRST, revision=2), id="merge-reconfigured"),
        pytest.param(integration(MERGED, SECOND, revision=2), id="merge-moved-elsewhere"),
    ],
)
async def test_a_deleted_target_gets_no_rows_back_from_a_later_mark(state: SqlState, later: Any) -> None:
    # A later unit of work (another partition) folds an event of a rotation merged into the deleted one.
    await apply(state, integration(MERGED, FIRST))
    async with state.unit_of_work() as uow:
        await fold(uow, RotationDeleted(rotation_id=FIRST), NOW)
        await uow.commit()
    assert await state.target(FIRST) is None

    async with state.unit_of_work() as uow:
        await fold(uow, later, NOW + timedelta(seconds=1))
        await uow.commit()

    assert await state.target(FIRST) is None
    assert await state.target(FIRST, "backup") is None


async def _waits_for_a_lock(state: SqlState) -> bool:
    async with state.sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
    return bool(waiting)


async def test_a_deletion_during_a_sync_that_waits_for_users_leaves_no_awaited_rows(state: SqlState) -> None:
    # A sync holds the target's row and records whom it waits for when the rotation's deletion folds.
    sync = state.unit_of_work()
    async with sync:
        assert await sync.targets.claim(FIRST, "primary") is not None
        assert await _within(await_users(sync, ACCOUNT.key, FIRST, "primary", {ADA})) == {ADA}

        async def delete() -> None:
            async with state.unit_of_work() as uow:
                await fold(uow, RotationDeleted(rotation_id=FIRST), NOW)
                await uow.commit()

        deletion = asyncio.create_task(delete())
        for _ in range(100):  # the deletion waits for the sync's lock on the target's row
            if deletion.done() or await _waits_for_a_lock(state):
                break
            await asyncio.sleep(0.05)
        await sync.commit()
    await _within(deletion)

    async with state.sessions() as session:
        awaited = await session.scalar(
            select(func.count())
            .select_from(orm.AwaitedUserRow)
            .where(
                orm.AwaitedUserRow.target_rotation_id == FIRST  # type: ignore[arg-type]
            )
        )
    assert awaited == 0
    assert await state.target(FIRST) is None
