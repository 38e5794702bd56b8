"""The record of applied writes (`/_sim/schedules/{id}/writes`): every write, its revision, its time."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pagerduty_sim.testing import RunningSimulator
from pagerduty_sim.testing import daily_layer as layer
from pagerduty_sim.writes import SteadyWallClock, WriteLog

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def schedule_body(*layers: dict[str, Any]) -> dict[str, Any]:
    return {
        "schedule": {"name": "Ops", "type": "schedule", "time_zone": "UTC", "schedule_layers": list(layers)}
    }


def test_each_write_is_recorded_with_the_revision_final_reports_and_when_it_was_applied(
    sim: RunningSimulator, client: httpx.Client, make_user, api_key
) -> None:
    sim.set_clock(T0, frozen=True)  # the record keeps real time, whatever the simulated clock says
    ann, bob = make_user("ann"), make_user("bob")
    before = time.monotonic()
    created = client.post("/schedules", json=schedule_body(layer([ann], "rota"))).json()["schedule"]
    schedule_id, layer_id = created["id"], created["schedule_layers"][0]["id"]
    put = client.put(f"/schedules/{schedule_id}", json=schedule_body(layer([bob], "rota", id=layer_id)))
    assert put.status_code == 200
    override = {
        "start": "2024-01-03T00:00:00Z",
        "end": "2024-01-04T00:00:00Z",
        "user": {"id": ann, "type": "user_reference"},
    }
    made = client.post(f"/schedules/{schedule_id}/overrides", json={"overrides": [override]}).json()
    deleted = client.delete(f"/schedules/{schedule_id}/overrides/{made[0]['override']['id']}")
    assert deleted.status_code == 204
    after = time.monotonic()

    writes = sim.writes(api_key, schedule_id)

    assert [(w["revision"], w["operation"]) for w in writes] == [
        (0, "create schedule"),
        (1, "update schedule"),
        (2, "create override"),
        (3, "delete override"),
    ]
    moments = [w["monotonic"] for w in writes]
    assert before <= moments[0] <= moments[1] <= moments[2] <= moments[3] <= after
    assert all(abs(w["applied_at"] - time.time()) < 60 for w in writes)  # real time, not the 2024 clock
    final = httpx.get(
        f"{sim.base_url}/_sim/schedules/{schedule_id}/final",
        params={"since": "2024-01-01T00:00:00Z", "until": "2024-01-02T00:00:00Z"},
        headers={"Authorization": f"Token token={api_key}"},
    ).json()
    assert final["revision"] == writes[-1]["revision"]
    assert [w["revision"] for w in sim.writes(api_key, schedule_id, after_revision=1)] == [2, 3]


def test_reads_refused_writes_and_other_accounts_leave_no_record_and_a_reset_forgets(
    sim: RunningSimulator, client: httpx.Client, make_user, api_key
) -> None:
    ann = make_user("ann")
    schedule_id = client.post("/schedules", json=schedule_body(layer([ann], "rota"))).json()["schedule"]["id"]
    client.get(f"/schedules/{schedule_id}")
    refused = client.put(f"/schedules/{schedule_id}", json=schedule_body(layer([ann], "rota", id="PNOPE")))
    assert refused.status_code == 400
    read_only = httpx.put(
        f"{sim.base_url}/schedules/{schedule_id}",
        json=schedule_body(layer([ann], "rota")),
        headers={"Authorization": "Token token=read-only-key"},
    )
    assert read_only.status_code == 403

    assert [w["revision"] for w in sim.writes(api_key, schedule_id)] == [0]
    assert sim.writes("eu-key", schedule_id) == []
    unauthenticated = httpx.get(f"{sim.base_url}/_sim/schedules/{schedule_id}/writes")
    assert unauthenticated.status_code == 401
    sim.reset()
    assert sim.writes(api_key, schedule_id) == []


def test_the_record_keeps_the_newest_writes_of_a_busy_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pagerduty_sim.writes.MAX_WRITES_PER_SCHEDULE", 3)
    log = WriteLog()
    for revision in range(5):
        log.record("acme", "PSCHED", revision, "update schedule")
    assert [w.revision for w in log.of("acme", "PSCHED")] == [2, 3, 4]
    assert log.of("acme", "POTHER") == []


def test_steady_wall_time_follows_the_monotonic_clock() -> None:
    clock = SteadyWallClock()
    first_wall, first_monotonic = clock.read()
    second_wall, second_monotonic = clock.read()
    assert second_wall - first_wall == pytest.approx(second_monotonic - first_monotonic, abs=1e-6)
    assert abs(first_wall - time.time()) < 5
