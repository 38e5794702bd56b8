"""The long-poll of `/_sim/schedules/{id}/final`: at once when newer, else the next write or a timeout."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pagerduty_sim.testing import RunningSimulator
from pagerduty_sim.testing import daily_layer as layer

# Ahead of now: an update changes the schedule from now on only.
_AHEAD = datetime.now(UTC) + timedelta(days=30)
WINDOW = {"since": _AHEAD.isoformat(), "until": (_AHEAD + timedelta(days=2)).isoformat()}


def schedule_body(*layers: dict[str, Any]) -> dict[str, Any]:
    return {
        "schedule": {"name": "Ops", "type": "schedule", "time_zone": "UTC", "schedule_layers": list(layers)}
    }


def long_poll(sim: RunningSimulator, api_key: str, schedule_id: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{sim.base_url}/_sim/schedules/{schedule_id}/final",
        params={**WINDOW, **params},
        headers={"Authorization": f"Token token={api_key}"},
        timeout=60,
    )


def test_a_newer_revision_is_rendered_at_once(
    sim: RunningSimulator, client: httpx.Client, make_user, api_key
) -> None:
    ann = make_user("ann")
    schedule_id = client.post("/schedules", json=schedule_body(layer([ann], "rota"))).json()["schedule"]["id"]

    # A timeout the test could not sit out: the answer must not wait for it.
    body = long_poll(sim, api_key, schedule_id, after_revision=-1, timeout_s=60).json()

    assert body["revision"] == 0
    assert {e["user_id"] for e in body["entries"]} == {ann}


def test_no_write_within_the_timeout_answers_unchanged(
    sim: RunningSimulator, client: httpx.Client, make_user, api_key
) -> None:
    ann = make_user("ann")
    schedule_id = client.post("/schedules", json=schedule_body(layer([ann], "rota"))).json()["schedule"]["id"]

    body = long_poll(sim, api_key, schedule_id, after_revision=0, timeout_s=0.05).json()

    assert body == {"revision": 0, "unchanged": True}


def test_a_write_during_the_wait_wakes_it_with_the_new_rendering(
    sim: RunningSimulator, client: httpx.Client, make_user, api_key
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    created = client.post("/schedules", json=schedule_body(layer([ann], "rota"))).json()["schedule"]
    schedule_id, layer_id = created["id"], created["schedule_layers"][0]["id"]
    answers: list[dict[str, Any]] = []
    poller = threading.Thread(
        target=lambda: answers.append(
            long_poll(sim, api_key, schedule_id, after_revision=0, timeout_s=60).json()
        )
    )
    poller.start()
    deadline = time.monotonic() + 10
    while not sim.simulator.write_log.watched("acme", schedule_id):  # the long-poll is in
        assert time.monotonic() < deadline, "the long-poll never arrived"
        time.sleep(0.005)
    assert answers == []  # it waits

    put = client.put(f"/schedules/{schedule_id}", json=schedule_body(layer([bob], "rota", id=layer_id)))
    assert put.status_code == 200
    poller.join(timeout=30)

    [body] = answers  # woken by the write, not by the 60 s timeout
    assert body["revision"] == 1
    assert {e["user_id"] for e in body["entries"]} == {bob}


def test_a_schedule_deleted_during_the_wait_answers_not_found(
    sim: RunningSimulator, client: httpx.Client, make_user, api_key
) -> None:
    ann = make_user("ann")
    schedule_id = client.post("/schedules", json=schedule_body(layer([ann], "rota"))).json()["schedule"]["id"]
    answers: list[int] = []
    poller = threading.Thread(
        target=lambda: answers.append(
            long_poll(sim, api_key, schedule_id, after_revision=0, timeout_s=60).status_code
        )
    )
    poller.start()
    deadline = time.monotonic() + 10
    while not sim.simulator.write_log.watched("acme", schedule_id):
        assert time.monotonic() < deadline, "the long-poll never arrived"
        time.sleep(0.005)

    assert client.delete(f"/schedules/{schedule_id}").status_code == 204
    poller.join(timeout=30)

    assert answers == [404]


def test_a_timeout_out_of_bounds_is_refused(
    sim: RunningSimulator, client: httpx.Client, make_user, api_key
) -> None:
    ann = make_user("ann")
    schedule_id = client.post("/schedules", json=schedule_body(layer([ann], "rota"))).json()["schedule"]["id"]

    assert long_poll(sim, api_key, schedule_id, after_revision=0, timeout_s=61).status_code == 400
    assert long_poll(sim, api_key, schedule_id, after_revision="x", timeout_s=1).status_code == 400
