"""Folding contract events into the service's tables and marking the affected schedules dirty."""

from __future__ import annotations

from pathlib import Path

from pd_sync_state import ACCOUNT, apply, integration, provisioned, shift, sqlite_sessions, target
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall_contracts import IntegrationRemoved
from pd_sync_service.adapters.orm import ShiftRow
from pd_sync_service.service_layer.folding import await_users

OWN, MERGED, OTHER = (f"{n}1111111-1111-4111-8111-111111111111" for n in ("a", "b", "c"))


async def test_stale_and_replayed_shift_changes_are_dropped(tmp_path: Path) -> None:
    async with sqlite_sessions(tmp_path) as sessions:
        await apply(sessions, integration(OWN), shift(OWN, 0, "ada@example.com", revision=5))
        dirty = (await target(sessions, OWN)).dirty_seq
        await apply(sessions, shift(OWN, 0, "bob@example.com", revision=4))
        await apply(sessions, shift(OWN, 0, "cy@example.com", revision=5))
        async with sessions() as session:
            row = await session.get(ShiftRow, (OWN, "w0"))
        assert row is not None
        assert row.primary_email == "ada@example.com"
        assert (await target(sessions, OWN)).dirty_seq == dirty


async def test_a_newer_shift_change_replaces_and_marks_both_roles_dirty(tmp_path: Path) -> None:
    async with sqlite_sessions(tmp_path) as sessions:
        await apply(sessions, integration(OWN), shift(OWN, 0, "ada@example.com", revision=1))
        before = [(await target(sessions, OWN, role)).dirty_seq for role in ("primary", "backup")]
        await apply(sessions, shift(OWN, 0, "bob@example.com", revision=2))
        after = [(await target(sessions, OWN, role)).dirty_seq for role in ("primary", "backup")]
        assert [b + 1 for b in before] == after


async def test_shifts_of_a_rotation_without_integration_mark_nothing(tmp_path: Path) -> None:
    async with sqlite_sessions(tmp_path) as sessions:
        await apply(sessions, shift(OTHER, 0, "ada@example.com", revision=1))
        assert await target(sessions, OTHER) is None


async def test_a_merge_marks_the_shared_target_and_a_move_marks_both(tmp_path: Path) -> None:
    async with sqlite_sessions(tmp_path) as sessions:
        await apply(sessions, integration(OWN), integration(OTHER))
        own, other = (await target(sessions, OWN)).dirty_seq, (await target(sessions, OTHER)).dirty_seq
        await apply(sessions, integration(MERGED, target=OWN))
        assert (await target(sessions, OWN)).dirty_seq == own + 1
        await apply(sessions, integration(MERGED, target=OTHER, revision=2))
        assert (await target(sessions, OWN)).dirty_seq == own + 2  # its layer must end there
        assert (await target(sessions, OTHER)).dirty_seq == other + 1


async def test_removing_a_merged_rotation_marks_the_target_and_stale_removal_is_ignored(
    tmp_path: Path,
) -> None:
    async with sqlite_sessions(tmp_path) as sessions:
        await apply(sessions, integration(OWN), integration(MERGED, target=OWN, revision=3))
        before = (await target(sessions, OWN)).dirty_seq
        await apply(sessions, IntegrationRemoved(rotation_id=MERGED, revision=2))
        assert (await target(sessions, OWN)).dirty_seq == before
        await apply(sessions, IntegrationRemoved(rotation_id=MERGED, revision=4))
        assert (await target(sessions, OWN)).dirty_seq == before + 1
        await apply(sessions, shift(MERGED, 0, "ada@example.com", revision=1))
        assert (await target(sessions, OWN)).dirty_seq == before + 1  # removed: no more writes


async def _await(sessions: async_sessionmaker[AsyncSession], target_id: str, *emails: str) -> None:
    async with sessions() as session, session.begin():
        await await_users(session, ACCOUNT.key, target_id, "primary", set(emails))


async def test_a_provisioned_user_wakes_a_waiting_target_once_nobody_else_is_awaited(tmp_path: Path) -> None:
    async with sqlite_sessions(tmp_path) as sessions:
        await apply(sessions, integration(OWN), integration(OTHER))
        await _await(sessions, OWN, "ada@example.com", "bob@example.com")
        own, other = (await target(sessions, OWN)).dirty_seq, (await target(sessions, OTHER)).dirty_seq
        await apply(sessions, provisioned("Ada@Example.com", "PADA"))
        assert (await target(sessions, OWN)).dirty_seq == own  # still waits for bob
        await apply(sessions, provisioned("bob@example.com", "PBOB"))
        await apply(sessions, provisioned("bob@example.com", "PBOB"))
        assert (await target(sessions, OWN)).dirty_seq == own + 1
        assert (await target(sessions, OTHER)).dirty_seq == other  # it waited for no one


async def test_a_user_whose_id_changed_marks_the_targets_showing_that_email(tmp_path: Path) -> None:
    async with sqlite_sessions(tmp_path) as sessions:
        await apply(sessions, integration(OWN), integration(OTHER), shift(OWN, 0, "Ada@Example.com", 1))
        await apply(sessions, provisioned("ada@example.com", "PADA"))
        own, other = (await target(sessions, OWN)).dirty_seq, (await target(sessions, OTHER)).dirty_seq
        await apply(sessions, provisioned("ada@example.com", "PADA2"))
        assert (await target(sessions, OWN)).dirty_seq == own + 1
        assert (await target(sessions, OTHER)).dirty_seq == other
