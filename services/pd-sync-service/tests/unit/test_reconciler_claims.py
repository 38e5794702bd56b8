"""Which targets a pass of the reconciler takes up, on the in-memory fakes (the row locks behind these
decisions are exercised on PostgreSQL by tests/integration/test_awaiting_users.py)."""

from __future__ import annotations

from datetime import timedelta

from pd_sync_state import SEALER, InMemoryState, apply, integration, provisioned, shift, target

from pd_sync_service.service_layer.reconciler import Reconciler, ReconcilerConfig
from pd_sync_service.service_layer.writer import PagerDutyApi

OWN = "c3333333-3333-4333-8333-333333333333"


def no_pagerduty(api_key: str, region: str) -> PagerDutyApi:
    raise AssertionError("this sync must not reach PagerDuty")


def reconciler(state: InMemoryState, wait: timedelta = timedelta(0)) -> Reconciler:
    config = ReconcilerConfig(debounce=wait, max_wait=wait)
    return Reconciler(state.unit_of_work, no_pagerduty, SEALER, lambda: shift(OWN, 0, None, 1).start, config)


async def test_a_target_another_sync_holds_is_left_to_it() -> None:
    state = InMemoryState()
    await apply(
        state, provisioned("ada@example.com", "PADA"), integration(OWN), shift(OWN, 0, "ada@example.com", 1)
    )
    async with state.unit_of_work() as other_replica:
        assert await other_replica.targets.claim(OWN, "primary") is not None

        await reconciler(state).sync_target(OWN, "primary")

    held = await target(state, OWN)
    assert held.dirty_seq > held.synced_seq


async def test_a_pass_takes_up_only_targets_marked_long_enough_ago() -> None:
    state = InMemoryState()
    await apply(state, integration(OWN), shift(OWN, 0, "new@example.com", 1))  # waits: writes nothing

    assert await reconciler(state, wait=timedelta(days=3650)).drain_once() == 0  # marked at NOW, in 2026
    assert await reconciler(state).drain_once() == 2  # both roles


async def test_a_target_waiting_for_users_asks_pagerduty_nothing() -> None:
    state = InMemoryState()
    await apply(state, integration(OWN), shift(OWN, 0, "new@example.com", 1))

    await reconciler(state).sync_target(OWN, "primary")

    waiting = await target(state, OWN)
    assert waiting.dirty_seq > waiting.synced_seq
    async with state.unit_of_work() as uow:
        assert await uow.awaited.stop_awaiting("us:acme", "new@example.com") == {OWN}


async def test_a_target_marked_once_since_it_was_in_step_is_due_without_waiting() -> None:
    """An idle schedule's first change is written at once; a second mark is what a debounce is for."""
    state = InMemoryState()
    await apply(state, integration(OWN))  # its rows are created marked once

    assert await reconciler(state, wait=timedelta(days=3650)).drain_once() == 2


async def test_a_target_this_process_just_took_up_waits_a_debounce_before_it_is_taken_up_again() -> None:
    """So a change right after a write coalesces with the rest of its burst."""
    state = InMemoryState()
    await apply(state, integration(OWN))  # marked once: due at once
    patient = reconciler(state, wait=timedelta(days=3650))
    async with state.unit_of_work() as other_replica:
        for role in ("primary", "backup"):
            assert await other_replica.targets.claim(OWN, role) is not None
        assert await patient.drain_once() == 2  # taken up, left to the holder
        await other_replica.rollback()

    assert await patient.drain_once() == 0
    assert await reconciler(state, wait=timedelta(days=3650)).drain_once() == 2  # another process
