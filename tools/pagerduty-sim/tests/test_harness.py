"""The `pagerduty_sim.testing` harness other services' tests rely on."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from pagerduty_sim.testing import RunningSimulator, run_simulator


def _create_user(client: httpx.Client, name: str) -> str:
    response = client.post(
        "/users", json={"user": {"type": "user", "name": name, "email": f"{name}@example.com"}}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["user"]["id"])


def test_final_schedule_helper_reads_what_the_api_wrote(
    sim: RunningSimulator, client: httpx.Client, make_user, api_key
) -> None:
    sim.set_clock(datetime(2024, 1, 1, tzinfo=UTC))
    alice, bob = make_user("alice"), make_user("bob")
    layer = {
        "start": "2024-01-01T00:00:00Z",
        "rotation_virtual_start": "2024-01-01T00:00:00Z",
        "rotation_turn_length_seconds": 86400,
        "users": [{"user": {"id": uid, "type": "user_reference"}} for uid in (alice, bob)],
    }
    schedule = {"name": "Ops", "type": "schedule", "time_zone": "UTC", "schedule_layers": [layer]}
    schedule_id = client.post("/schedules", json={"schedule": schedule}).json()["schedule"]["id"]

    entries = sim.final_schedule(
        api_key, schedule_id, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)
    )

    assert entries == [
        (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC), alice),
        (datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC), bob),
    ]
    assert [user["email"] for user in sim.users(api_key)] == ["alice@example.com", "bob@example.com"]


def test_clock_set_and_advance(sim: RunningSimulator) -> None:
    sim.set_clock("2030-05-01T12:00:00Z", frozen=True)
    assert sim.advance(90) == datetime(2030, 5, 1, 12, 1, 30, tzinfo=UTC)
    assert sim.now() == datetime(2030, 5, 1, 12, 1, 30, tzinfo=UTC)


def test_request_log_records_requests_without_the_key(
    sim: RunningSimulator, client: httpx.Client, api_key
) -> None:
    client.get("/users")
    logged = sim.requests()
    assert [(r["method"], r["path"], r["status"], r["account"]) for r in logged] == [
        ("GET", "/users", 200, "acme")
    ]
    assert api_key not in str(logged)


def test_reset_forgets_users(sim: RunningSimulator, make_user, api_key) -> None:
    make_user("carol")
    sim.reset()
    assert sim.users(api_key) == []
    assert sim.requests() == []


async def test_harness_works_inside_async_tests() -> None:
    with run_simulator(["solo:k"]) as running:
        async with httpx.AsyncClient(base_url=running.base_url, verify=running.verify) as http:
            response = await http.get("/users", headers={"Authorization": "Token token=k"})
        assert response.status_code == 200
        assert response.json()["users"] == []
