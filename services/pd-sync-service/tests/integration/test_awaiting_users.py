"""A sync deciding to wait for users and those users arriving at the same moment (PostgreSQL, where
the two really run at once): the target is never left waiting for a user that has arrived."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pd_sync_state import ACCOUNT, SqlState, apply, integration, postgres_sessions, provisioned, target
from sqlalchemy import select
from sqlmodel import col

from pd_sync_service.adapters.orm import AwaitedUserRow, TargetRow
from pd_sync_service.service_layer.folding import await_users

pytestmark = pytest.mark.integration

OWN = "a1111111-1111-4111-8111-111111111111"
ADA, BOB = "ada@example.com", "bob@example.com"


@pytest_asyncio.fixture
async def state(postgres_server_url: str) -> AsyncIterator[SqlState]:
    async with postgres_sessions(postgres_server_url) as made:
        state = SqlState(made)
        await apply(state, integration(OWN))
        yield state


async def _awaited(state: SqlState) -> set[str]:
    async with state.sessions() as session:
        return set(await session.scalars(select(col(AwaitedUserRow.email))))


async def test_a_user_arriving_while_a_sync_decides_to_wait_wakes_the_target(
    state: SqlState,
) -> None:
    before = (await target(state, OWN)).dirty_seq
    async with state.unit_of_work() as deciding:
        assert await await_users(deciding, ACCOUNT.key, OWN, "primary", {ADA}) == {ADA}
        arriving = asyncio.create_task(apply(state, provisioned(ADA, "PADA")))
        await asyncio.sleep(0.3)
        assert not arriving.done()  # the fold waits for the deciding sync's commit ...
        await deciding.commit()
    await asyncio.wait_for(arriving, timeout=10)
    assert (await target(state, OWN)).dirty_seq == before + 1  # ... and then finds it waiting
    assert await _awaited(state) == set()


async def test_a_sync_deciding_after_the_user_arrived_does_not_wait_for_it(
    state: SqlState,
) -> None:
    async with state.unit_of_work() as deciding:
        # The sync read its users before the user's fold committed; it decides after.
        await apply(state, provisioned(ADA, "PADA"))
        assert await await_users(deciding, ACCOUNT.key, OWN, "primary", {ADA, BOB}) == {BOB}
        await deciding.commit()
    assert await _awaited(state) == {BOB}


async def test_a_user_arriving_while_its_waiting_target_is_being_synced_neither_blocks_nor_is_lost(
    state: SqlState,
) -> None:
    async with state.unit_of_work() as waited:
        await await_users(waited, ACCOUNT.key, OWN, "primary", {ADA})
        await waited.commit()
    async with state.unit_of_work() as syncing:
        # A sync holds the target (as the reconciler does) while the user folds: waiting for that row
        # would deadlock with the sync's wait for the e-mail's lock below.
        await syncing.session.execute(
            select(TargetRow).where(col(TargetRow.target_rotation_id) == OWN).with_for_update()
        )
        await asyncio.wait_for(apply(state, provisioned(ADA, "PADA")), timeout=10)
        assert await await_users(syncing, ACCOUNT.key, OWN, "primary", {ADA}) == set()
        await syncing.commit()
    assert await _awaited(state) == set()
