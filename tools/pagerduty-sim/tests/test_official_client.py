"""PagerDuty's official Python client (`pagerduty` on PyPI) works against the simulator unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pagerduty
import pytest

from pagerduty_sim.testing import RunningSimulator, run_simulator


@pytest.fixture
def tls_sim() -> Iterator[RunningSimulator]:
    # The official client accepts only https:// base URLs, like PagerDuty itself.
    with run_simulator(["acme:test-key"], tls=True) as running:
        yield running


def test_official_client_users_schedule_rendering_and_overrides(tls_sim: RunningSimulator) -> None:
    sim, api_key = tls_sim, "test-key"
    sim.set_clock("2024-01-01T00:00:00Z")
    client = pagerduty.RestApiV2Client(
        api_key, default_from="admin@example.com", base_url=sim.base_url, verify=sim.verify
    )
    with closing(client):
        _exercise(client, sim, api_key)


def _exercise(client: pagerduty.RestApiV2Client, sim: RunningSimulator, api_key: str) -> None:

    created = [
        client.rpost("users", json={"type": "user", "name": f"Person {i}", "email": f"p{i}@example.com"})
        for i in range(12)
    ]
    listed = list(client.iter_all("users", page_size=5))
    assert [user["id"] for user in listed] == [user["id"] for user in created]
    assert sum(1 for r in sim.requests() if r["method"] == "GET" and r["path"] == "/users") >= 3

    layer = {
        "start": "2024-01-01T00:00:00Z",
        "rotation_virtual_start": "2024-01-01T00:00:00Z",
        "rotation_turn_length_seconds": 86400,
        "users": [{"user": {"id": created[0]["id"], "type": "user_reference"}}],
    }
    schedule = client.rpost(
        "schedules", json={"name": "Ops", "type": "schedule", "time_zone": "UTC", "schedule_layers": [layer]}
    )
    rendered = client.rget(
        f"schedules/{schedule['id']}",
        params={"since": "2024-01-02T00:00:00Z", "until": "2024-01-03T00:00:00Z"},
    )
    assert rendered["final_schedule"]["rendered_coverage_percentage"] == 100.0

    override = {
        "start": "2024-01-02T10:00:00Z",
        "end": "2024-01-02T12:00:00Z",
        "user": {"id": created[1]["id"], "type": "user_reference"},
    }
    results = client.rpost(f"schedules/{schedule['id']}/overrides", json={"overrides": [override]})
    assert [item["status"] for item in results] == [201]
    override_id = results[0]["override"]["id"]
    final = sim.final_schedule(api_key, schedule["id"], *_day(2))
    assert [user for _, _, user in final] == [created[0]["id"], created[1]["id"], created[0]["id"]]

    response = client.rdelete(f"schedules/{schedule['id']}/overrides/{override_id}")
    assert response.status_code == 204
    assert [user for _, _, user in sim.final_schedule(api_key, schedule["id"], *_day(2))] == [
        created[0]["id"]
    ]


def _day(day: int):
    from datetime import UTC, datetime, timedelta

    start = datetime(2024, 1, day, tzinfo=UTC)
    return start, start + timedelta(days=1)
