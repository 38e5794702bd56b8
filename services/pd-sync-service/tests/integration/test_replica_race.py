"""Two replicas of the sync on one PostgreSQL database: one dies after PagerDuty carried out its
`POST /schedules` and before its transaction committed; the other, still running, takes the target up
and must not create the schedule a second time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pd_sync_state import NOW, SEALER, SqlState, apply, integration, postgres_sessions, provisioned, shift

from oncall_pagerduty import PagerDutyClient, RetryPolicy
from pagerduty_sim.testing import RunningSimulator, run_simulator
from pd_sync_service.service_layer.reconciler import Reconciler
from pd_sync_service.service_layer.writer import PagerDutyApi

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

KEY = "race-key"
OWN = "a1111111-1111-4111-8111-111111111111"
ADA = "ada@example.com"


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with run_simulator([f"acme:{KEY}"]) as running:
        running.set_clock(NOW)
        yield running


@pytest_asyncio.fixture
async def state(postgres_server_url: str, sim: RunningSimulator) -> AsyncIterator[SqlState]:
    async with postgres_sessions(postgres_server_url) as made:
        state = SqlState(made)
        await apply(
            state,
            integration(OWN, api_key=KEY),
            provisioned(ADA, _create_user(sim, ADA)),
            shift(OWN, 0, ADA, revision=1),
        )
        yield state


def _create_user(sim: RunningSimulator, email: str) -> str:
    headers = {"Authorization": f"Token token={KEY}", "From": "admin@example.com"}
    body = {"user": {"type": "user", "name": "Ada", "email": email, "time_zone": "UTC"}}
    user = httpx.post(f"{sim.base_url}/users", json=body, headers=headers).raise_for_status()
    return str(user.json()["user"]["id"])


class _DiesAfterCreating:
    """A replica's PagerDuty client: the create reaches PagerDuty, then the replica hangs until it is
    killed (its answer is never recorded)."""

    def __init__(self, client: PagerDutyApi) -> None:
        self._client = client
        self.requests_sent = 0
        self.created = asyncio.Event()

    async def get(self, path: str, params: Any = None) -> dict[str, Any]:
        return await self._client.get(path, params)

    async def post(self, path: str, json: Any = None, *, at_most_once: bool = False) -> dict[str, Any]:
        await self._client.post(path, json, at_most_once=at_most_once)
        self.created.set()
        await asyncio.Event().wait()  # killed here
        raise AssertionError("unreachable")

    async def put(self, path: str, json: Any = None) -> dict[str, Any]:
        return await self._client.put(path, json)


def _client(sim: RunningSimulator) -> PagerDutyApi:
    return PagerDutyClient(KEY, base_url=sim.base_url, retry=RetryPolicy(max_attempts=1))


def _schedules(sim: RunningSimulator) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Token token={KEY}"}
    listed = httpx.get(f"{sim.base_url}/schedules", headers=headers).raise_for_status()
    return list(listed.json()["schedules"])


async def test_a_replica_killed_mid_create_leaves_exactly_one_schedule(
    state: SqlState, sim: RunningSimulator
) -> None:
    dying = _DiesAfterCreating(_client(sim))
    replica_a = Reconciler(state.unit_of_work, lambda key, region: dying, SEALER, sim.now)
    replica_b = Reconciler(state.unit_of_work, lambda key, region: _client(sim), SEALER, sim.now)

    syncing = asyncio.create_task(replica_a.sync_target(OWN, "primary"))
    await asyncio.wait_for(dying.created.wait(), timeout=10)
    assert len(_schedules(sim)) == 1
    await replica_b.sync_target(OWN, "primary")  # A holds the target: B leaves it alone
    assert len(_schedules(sim)) == 1

    syncing.cancel()  # A dies: its transaction is rolled back, the target shows no schedule
    await asyncio.gather(syncing, return_exceptions=True)
    assert (await state.target(OWN)).schedule_id is None

    await replica_b.sync_target(OWN, "primary")
    [schedule] = _schedules(sim)  # B adopted A's schedule
    adopted = await state.target(OWN)
    assert (adopted.schedule_id, adopted.synced_seq) == (schedule["id"], adopted.dirty_seq)
