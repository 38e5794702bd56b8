"""A sync deciding to wait for users and those users arriving at the same moment (PostgreSQL, where
the two really run at once): the target is never left waiting for a user that has arrived."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from pd_sync_state import ACCOUNT, apply, integration, postgres_sessions, provisioned, target
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from pd_sync_service.adapters.orm import AwaitedUserRow, TargetRow
from pd_sync_service.service_layer.folding import await_users

OWN = "a1111111-1111-4111-8111-111111111111"
ADA, BOB = "ada@example.com", "bob@example.com"


@pytest_asyncio.fixture
async def sessions(postgres_server_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with postgres_sessions(postgres_server_url) as made:
        await apply(made, integration(OWN))
        yield made


async def _awaited(sessions: async_sessionmaker[AsyncSession]) -> set[str]:
    async with sessions() as session:
        return set(await session.scalars(select(col(AwaitedUserRow.email))))


async def test_a_user_arriving_while_a_sync_decides_to_wait_wakes_the_target(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    before = (await target(sessions, OWN)).dirty_seq
    async with sessions() as deciding, deciding.begin():
        assert await await_users(deciding, ACCOUNT.key, OWN, "primary", {ADA}) == {ADA}
        arriving = asyncio.create_task(apply(sessions, provisioned(ADA, "PADA")))
        await asyncio.sleep(0.3)
        assert not arriving.done()  # the fold waits for the deciding sync's commit ...
    await asyncio.wait_for(arriving, timeout=10)
    assert (await target(sessions, OWN)).dirty_seq == before + 1  # ... and then finds it waiting
    assert await _awaited(sessions) == set()


async def test_a_sync_deciding_after_the_user_arrived_does_not_wait_for_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as deciding, deciding.begin():
        # The sync read its users before the user's fold committed; it decides after.
        await apply(sessions, provisioned(ADA, "PADA"))
        assert await await_users(deciding, ACCOUNT.key, OWN, "primary", {ADA, BOB}) == {BOB}
    assert await _awaited(sessions) == {BOB}


async def test_a_user_arriving_while_its_waiting_target_is_being_synced_neither_blocks_nor_is_lost(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as waited, waited.begin():
        await await_users(waited, ACCOUNT.key, OWN, "primary", {ADA})
    async with sessions() as syncing, syncing.begin():
        # A sync holds the target (as the reconciler does) while the user folds: waiting for that row
        # would deadlock with the sync's wait for the e-mail's lock below.
        await syncing.execute(
            select(TargetRow).where(col(TargetRow.target_rotation_id) == OWN).with_for_update()
        )
        await asyncio.wait_for(apply(sessions, provisioned(ADA, "PADA")), timeout=10)
        assert await await_users(syncing, ACCOUNT.key, OWN, "primary", {ADA}) == set()
    assert await _awaited(sessions) == set()
