"""The reconciler's decisions for one schedule, against the simulator, on the in-memory fakes and on
the SQL adapters (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pd_sync_state import (
    NOW,
    SEALER,
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

from oncall_contracts import CredentialSealer, IntegrationRemoved, ScheduleSyncWaiting
from oncall_pagerduty import PagerDutyClient, RetryPolicy
from oncall_pagerduty.budget import BUSY_SECONDS, RequestBudget
from oncall_testing.clock import FakeMonotonicClock
from pagerduty_sim.testing import RunningSimulator, run_simulator
from pd_sync_service.service_layer.missing_users import UserCheck
from pd_sync_service.service_layer.reconciler import Reconciler
from pd_sync_service.service_layer.sources import as_utc
from pd_sync_service.service_layer.writer import PagerDutyApi

KEY = "unit-key"
OWN = "a1111111-1111-4111-8111-111111111111"


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with run_simulator([f"acme:{KEY}"]) as running:
        running.set_clock(NOW)
        yield running


@pytest.fixture(params=["in-memory", "sql"])
async def state(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[State]:
    if request.param == "in-memory":
        yield InMemoryState()
        return
    async with sqlite_sessions(tmp_path) as sessions:
        yield SqlState(sessions)


def _transport(sim: RunningSimulator) -> httpx.AsyncHTTPTransport:
    return httpx.AsyncHTTPTransport(verify=sim.verify)  # the default one loads the CA bundle again


def _reconciler(state: State, sim: RunningSimulator) -> Reconciler:
    def client(api_key: str, region: str) -> PagerDutyApi:
        return PagerDutyClient(
            api_key, base_url=sim.base_url, retry=RetryPolicy(max_attempts=1), transport=_transport(sim)
        )

    return Reconciler(state.unit_of_work, client, SEALER, sim.now)


def _user(sim: RunningSimulator, email: str) -> str:
    headers = {"Authorization": f"Token token={KEY}", "From": "admin@example.com"}
    body = {"user": {"type": "user", "name": email[:3], "email": email, "time_zone": "UTC"}}
    response = httpx.post(
        f"{sim.base_url}/users", json=body, headers=headers, verify=sim.verify
    ).raise_for_status()
    return str(response.json()["user"]["id"])


def _delete(sim: RunningSimulator, schedule_id: str) -> None:
    """Someone deletes the schedule in PagerDuty's web UI."""
    headers = {"Authorization": f"Token token={KEY}"}
    httpx.delete(
        f"{sim.base_url}/schedules/{schedule_id}", headers=headers, verify=sim.verify
    ).raise_for_status()


async def _outbox(state: State) -> list[Any]:
    return await state.published()


def _schedule_requests(sim: RunningSimulator, since: int = 0) -> list[str]:
    """The methods of the schedule requests from the `since`-th request on."""
    return [r["method"] for r in sim.requests()[since:] if r["path"].startswith("/schedules")]


async def _configured(state: State, sim: RunningSimulator) -> None:
    await apply(state, provisioned("ada@example.com", _user(sim, "ada@example.com")))
    await apply(state, integration(OWN, api_key=KEY), shift(OWN, 0, "ada@example.com", revision=1))


async def test_unprovisioned_member_defers_without_a_request_until_its_user_arrives(state, sim) -> None:
    await apply(state, integration(OWN, api_key=KEY), shift(OWN, 0, "New@example.com", revision=1))
    reconciler = _reconciler(state, sim)
    await reconciler.sync_target(OWN, "backup")  # the rotation has no backup: nothing to wait for
    await reconciler.sync_target(OWN, "primary")
    assert _schedule_requests(sim) == []
    # The sync status tells whom the schedule waits for (the e-mail as the contract spells it).
    assert await _outbox(state) == [
        ScheduleSyncWaiting(rotation_id=OWN, role="primary", waiting_for=["new@example.com"])
    ]
    waiting = await target(state, OWN)
    assert waiting.dirty_seq > waiting.synced_seq  # still dirty, but not due before the late check
    assert waiting.dirty_at is None
    assert as_utc(waiting.last_dirty_at) > datetime.now(UTC) + timedelta(seconds=30)
    assert await reconciler.drain_once() == 0

    await apply(state, provisioned("new@example.com", _user(sim, "new@example.com")))
    await reconciler.sync_target(OWN, "primary")
    assert _schedule_requests(sim) == ["GET", "POST"]  # the look-up by sync key, the create
    synced = await target(state, OWN)
    assert synced.synced_seq == synced.dirty_seq


async def test_a_past_shift_of_a_member_without_user_holds_nothing_back(state, sim) -> None:
    await _configured(state, sim)
    gone = shift(OWN, -2, "gone@example.com", revision=1)  # ended before PagerDuty's now
    await apply(state, gone.model_copy(update={"shift_id": "past"}))
    await _reconciler(state, sim).sync_target(OWN, "primary")
    assert _schedule_requests(sim) == ["GET", "POST"]  # the look-up by sync key, the create


async def test_creates_once_then_spends_nothing_while_pagerduty_matches(state, sim) -> None:
    await _configured(state, sim)
    reconciler = _reconciler(state, sim)
    await reconciler.sync_target(OWN, "primary")
    await apply(state, shift(OWN, 0, "ada@example.com", revision=2))  # a no-op change
    await reconciler.sync_target(OWN, "primary")
    assert _schedule_requests(sim) == ["GET", "POST"]  # the look-up by sync key, the create
    events = await _outbox(state)
    assert [type(e).__name__ for e in events] == ["ScheduleSynced", "ScheduleSynced"]
    assert events[0].schedule_id == events[1].schedule_id


async def test_a_schedule_deleted_in_pagerduty_is_created_again_and_reported(state, sim) -> None:
    await _configured(state, sim)
    reconciler = _reconciler(state, sim)
    await reconciler.sync_target(OWN, "primary")
    deleted = (await target(state, OWN)).schedule_id
    _delete(sim, deleted)
    await reconciler.request_drift_check()
    await reconciler.sync_target(OWN, "primary")
    repaired = (await _outbox(state))[-1]
    assert repaired.drift_repaired
    assert repaired.schedule_id not in (deleted, "")


async def test_a_transient_failure_is_reported_and_retried_after_reading_pagerduty(state, sim) -> None:
    await _configured(state, sim)
    sim.faults(error_next=1)
    await _reconciler(state, sim).sync_target(OWN, "primary")
    failed = (await _outbox(state))[-1]
    assert type(failed).__name__ == "ScheduleSyncFailed"
    assert failed.retryable
    row = await target(state, OWN)
    assert row.dirty_seq > row.synced_seq
    assert row.check_drift


async def test_a_key_sealed_with_a_retired_credential_key_fails_for_good_without_retrying(state, sim) -> None:
    await _configured(state, sim)
    retired = CredentialSealer({"k1": bytes(range(32))}, "k1")  # as configured before the key rotation
    current = CredentialSealer({"k2": bytes(range(1, 33))}, "k2")  # k1 removed, nothing resealed
    reconciler = Reconciler(
        state.unit_of_work, lambda key, region: PagerDutyClient(key, base_url=sim.base_url), current, sim.now
    )
    assert retired.key_ids == SEALER.key_ids
    await reconciler.sync_target(OWN, "primary")
    failed = (await _outbox(state))[-1]
    assert type(failed).__name__ == "ScheduleSyncFailed"
    assert not failed.retryable
    assert "cannot be opened" in failed.reason
    assert "'k1'" in failed.reason
    row = await target(state, OWN)
    assert row.dirty_seq == row.synced_seq, "not tried again until the integration changes"
    assert _schedule_requests(sim) == []
    published = len(await _outbox(state))
    await reconciler.sync_target(OWN, "primary")
    assert len(await _outbox(state)) == published, "nothing is retried or announced again"


async def test_removed_integration_writes_nothing(state, sim) -> None:
    await _configured(state, sim)
    await apply(state, IntegrationRemoved(rotation_id=OWN, revision=2))
    await _reconciler(state, sim).sync_target(OWN, "primary")
    assert _schedule_requests(sim) == []


async def test_the_periodic_reconcile_reads_the_schedules_checked_longest_ago_first(state, sim) -> None:
    other = "b1111111-1111-4111-8111-111111111111"
    await _configured(state, sim)
    await apply(state, integration(other, api_key=KEY), shift(other, 0, "ada@example.com", revision=1))
    reconciler = _reconciler(state, sim)
    await reconciler.sync_target(OWN, "primary")  # created first: compared longest ago
    await reconciler.sync_target(other, "primary")
    drifts_before = [(await target(state, r)).dirty_seq for r in (OWN, other)]

    assert await reconciler.request_drift_check(limit=1) == 1

    assert (await target(state, OWN)).check_drift
    assert (await target(state, OWN)).dirty_seq == drifts_before[0] + 1
    assert (await target(state, other)).dirty_seq == drifts_before[1]
    await reconciler.sync_target(OWN, "primary")  # one GET, and it becomes the most recently checked
    assert _schedule_requests(sim) == ["GET", "POST", "GET", "POST", "GET"]
    assert await reconciler.request_drift_check(limit=1) == 1
    assert (await target(state, other)).check_drift


async def test_after_a_restart_only_schedules_still_dirty_are_read_before_writing(state, sim) -> None:
    await _configured(state, sim)
    reconciler = _reconciler(state, sim)
    await reconciler.sync_target(OWN, "primary")
    await apply(state, shift(OWN, 1, "ada@example.com", revision=1))  # its write was cut short

    assert await reconciler.recover_interrupted_writes() == 2  # both roles of the dirty target
    assert (await target(state, OWN)).check_drift


def _schedules(sim: RunningSimulator) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Token token={KEY}"}
    listed = httpx.get(f"{sim.base_url}/schedules", headers=headers, verify=sim.verify).raise_for_status()
    return list(listed.json()["schedules"])


async def test_a_create_whose_answer_was_lost_is_adopted_not_repeated(state, sim) -> None:
    await _configured(state, sim)
    sim.faults(lose_answer_next=1, method="POST")  # PagerDuty creates the schedule; the answer never arrives
    reconciler = _reconciler(state, sim)
    await reconciler.sync_target(OWN, "primary")
    assert type((await _outbox(state))[-1]).__name__ == "ScheduleSyncFailed"
    [created] = _schedules(sim)
    before = len(sim.requests())

    await reconciler.sync_target(OWN, "primary")
    assert _schedule_requests(sim, before) == ["GET", "GET"]  # look it up, read it: it already matches
    assert [s["id"] for s in _schedules(sim)] == [created["id"]]
    synced = (await _outbox(state))[-1]
    assert (type(synced).__name__, synced.schedule_id) == ("ScheduleSynced", created["id"])

    await apply(state, shift(OWN, 0, "bob@example.com", revision=2))
    await apply(state, provisioned("bob@example.com", _user(sim, "bob@example.com")))
    before = len(sim.requests())
    await reconciler.sync_target(OWN, "primary")
    assert _schedule_requests(sim, before) == ["PUT"]
    assert [s["id"] for s in _schedules(sim)] == [created["id"]]


async def test_a_create_applied_before_a_crash_is_adopted_after_the_restart(state, sim) -> None:
    await _configured(state, sim)
    before = await target(state, OWN)
    assert before is not None
    await _reconciler(state, sim).sync_target(OWN, "primary")
    await state.put_target(before)  # the process died before its commit: the target as it was

    restarted = _reconciler(state, sim)
    await restarted.recover_interrupted_writes()
    await restarted.sync_target(OWN, "primary")
    assert len(_schedules(sim)) == 1
    assert (await target(state, OWN)).schedule_id == _schedules(sim)[0]["id"]


def _hand_made_schedule(sim: RunningSimulator, name: str) -> None:
    headers = {"Authorization": f"Token token={KEY}", "From": "admin@example.com"}
    body = {"schedule": {"type": "schedule", "name": name, "time_zone": "UTC", "schedule_layers": []}}
    httpx.post(f"{sim.base_url}/schedules", json=body, headers=headers, verify=sim.verify).raise_for_status()


async def test_a_schedule_of_the_same_name_made_by_hand_is_never_adopted(state, sim) -> None:
    await _configured(state, sim)
    name = integration(OWN).schedule_name
    _hand_made_schedule(sim, name)
    reconciler = _reconciler(state, sim)
    await reconciler.recover_interrupted_writes()  # dirty after a restart: a create may have been cut short

    await reconciler.sync_target(OWN, "primary")
    assert _schedule_requests(sim) == ["POST", "GET", "POST"]  # the hand-made one, the look-up, ours
    assert [s["name"] for s in _schedules(sim)] == [name, name]


def _delete_user(sim: RunningSimulator, user_id: str) -> None:
    """An admin deletes the user in PagerDuty."""
    headers = {"Authorization": f"Token token={KEY}"}
    httpx.delete(f"{sim.base_url}/users/{user_id}", headers=headers, verify=sim.verify).raise_for_status()


async def test_a_write_refused_for_a_deleted_user_asks_for_it_again_and_waits(state, sim) -> None:
    await _configured(state, sim)
    reconciler = _reconciler(state, sim)
    await reconciler.sync_target(OWN, "primary")
    ada = (await state.published())[-1]
    deleted = _user_id_of(sim, "ada@example.com")
    _delete_user(sim, deleted)

    await apply(state, shift(OWN, 1, "ada@example.com", revision=2))
    await reconciler.sync_target(OWN, "primary")  # the PUT is refused: User ... not found
    missing, failed = (await _outbox(state))[-2:]
    assert (type(missing).__name__, missing.email, missing.user_id) == (
        "PagerDutyUserMissing",
        "ada@example.com",
        deleted,
    )
    assert (type(failed).__name__, failed.retryable) == ("ScheduleSyncFailed", True)
    assert as_utc((await target(state, OWN)).last_dirty_at) <= datetime.now(UTC)  # due again at once
    await reconciler.sync_target(OWN, "primary")  # it now waits for the user
    status = (await _outbox(state))[-1]
    assert (type(status).__name__, status.waiting_for) == ("ScheduleSyncWaiting", ["ada@example.com"])

    await apply(state, provisioned("ada@example.com", _user(sim, "ada@example.com")))
    await reconciler.sync_target(OWN, "primary")
    synced = (await _outbox(state))[-1]
    assert (type(synced).__name__, synced.schedule_id) == ("ScheduleSynced", ada.schedule_id)
    assert _user_id_of(sim, "ada@example.com") in str(sim.requests()[-1]["body"])


def _change_email(sim: RunningSimulator, user_id: str, email: str) -> None:
    """An admin gives the user another e-mail in PagerDuty."""
    headers = {"Authorization": f"Token token={KEY}"}
    body = {"user": {"type": "user", "name": email.split("@")[0], "email": email}}
    httpx.put(
        f"{sim.base_url}/users/{user_id}", json=body, headers=headers, verify=sim.verify
    ).raise_for_status()


def _user_id_of(sim: RunningSimulator, email: str) -> str:
    [user] = [u for u in sim.users(KEY) if u["email"] == email]
    return user["id"]


async def test_the_user_check_asks_again_for_users_deleted_or_whose_e_mail_changed(state, sim) -> None:
    await _configured(state, sim)
    await apply(state, shift(OWN, 1, "bob@example.com", revision=2))
    await apply(state, provisioned("bob@example.com", _user(sim, "bob@example.com")))
    await _reconciler(state, sim).sync_target(OWN, "primary")
    check = UserCheck(state.unit_of_work, _client_factory(sim), SEALER, sim.now)
    assert await check.run_once() == 0  # two requests' worth: nothing is missing

    ada, bob = _user_id_of(sim, "ada@example.com"), _user_id_of(sim, "bob@example.com")
    _delete_user(sim, ada)
    _change_email(sim, bob, "robert@example.com")
    before = (await target(state, OWN)).dirty_seq

    assert await check.run_once() == 2
    asked = [e for e in await _outbox(state) if type(e).__name__ == "PagerDutyUserMissing"]
    assert sorted((e.email, e.user_id) for e in asked) == [("ada@example.com", ada), ("bob@example.com", bob)]
    assert "changed" in next(e.reason for e in asked if e.email == "bob@example.com")
    assert (await target(state, OWN)).dirty_seq > before  # its schedule waits for them now
    assert await check.run_once() == 0  # asked once: the mappings are gone until the users come back


async def test_the_user_check_leaves_a_busy_key_to_its_writes(state, sim) -> None:
    await _configured(state, sim)
    await _reconciler(state, sim).sync_target(OWN, "primary")
    clock = FakeMonotonicClock()
    budget = RequestBudget(960, burst=1, clock=clock, sleep=clock.sleep)
    await budget.acquire()
    await budget.acquire()  # waited for the bucket: the key is busy
    check = UserCheck(state.unit_of_work, _client_factory(sim, budget), SEALER, sim.now)
    _delete_user(sim, _user_id_of(sim, "ada@example.com"))
    listed_before = _user_listings(sim)

    assert await check.run_once() == 0
    assert _user_listings(sim) == listed_before  # not a request spent

    clock.now += BUSY_SECONDS
    assert await check.run_once() == 1  # once the writes leave it spare requests


def _user_listings(sim: RunningSimulator) -> int:
    return sum(1 for r in sim.requests() if r["method"] == "GET" and r["path"] == "/users")


def _client_factory(sim: RunningSimulator, budget: RequestBudget | None = None) -> Any:
    """Clients of one budget of their own (not the process's per key, which other tests spend)."""
    budget = budget or RequestBudget()

    def client(api_key: str, region: str) -> PagerDutyApi:
        return PagerDutyClient(
            api_key,
            base_url=sim.base_url,
            retry=RetryPolicy(max_attempts=1),
            transport=_transport(sim),
            budget=budget,
        )

    return client
