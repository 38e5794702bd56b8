"""Schedules over HTTP: layer order, merging by id, history, ends, overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pagerduty_sim.testing import RunningSimulator
from pagerduty_sim.testing import daily_layer as layer

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def schedule_body(*layers: dict[str, Any], name: str = "Ops") -> dict[str, Any]:
    return {
        "schedule": {"name": name, "type": "schedule", "time_zone": "UTC", "schedule_layers": list(layers)}
    }


@pytest.fixture
def people(sim: RunningSimulator, make_user) -> tuple[str, str, str]:
    sim.set_clock(T0, frozen=True)
    return make_user("ann"), make_user("bob"), make_user("cy")


def test_get_returns_layers_reversed_and_the_last_posted_layer_wins(
    sim: RunningSimulator, client: httpx.Client, people, api_key
) -> None:
    ann, bob, _ = people
    created = client.post("/schedules", json=schedule_body(layer([ann], "first"), layer([bob], "second")))
    assert created.status_code == 201
    got = client.get(f"/schedules/{created.json()['schedule']['id']}").json()["schedule"]
    assert [item["name"] for item in got["schedule_layers"]] == ["second", "first"]
    final = sim.final_schedule(api_key, got["id"], T0, datetime(2024, 1, 2, tzinfo=UTC))
    assert [user for _, _, user in final] == [bob]


def test_history_kept_after_a_put_rendering_before_it_is_unchanged(
    sim: RunningSimulator, client: httpx.Client, people, api_key
) -> None:
    ann, bob, cy = people
    created = client.post("/schedules", json=schedule_body(layer([ann, bob], "rota"))).json()["schedule"]
    edit_time = datetime(2024, 1, 5, 12, tzinfo=UTC)
    before = sim.final_schedule(api_key, created["id"], T0, edit_time)
    sim.set_clock(edit_time, frozen=True)
    sent = layer([cy], "rota", id=created["schedule_layers"][0]["id"])
    updated = client.put(f"/schedules/{created['id']}", json=schedule_body(sent))
    assert updated.status_code == 200
    assert sim.final_schedule(api_key, created["id"], T0, edit_time) == before
    assert before[-1] == (datetime(2024, 1, 5, tzinfo=UTC), edit_time, ann)
    after_edit = sim.final_schedule(api_key, created["id"], edit_time, datetime(2024, 1, 11, tzinfo=UTC))
    assert after_edit == [(edit_time, datetime(2024, 1, 11, tzinfo=UTC), cy)]
    assert updated.json()["schedule"]["schedule_layers"][0]["start"] == "2024-01-05T12:00:00+00:00"


def test_end_omitted_keeps_it_end_null_clears_it(client: httpx.Client, people) -> None:
    ann, _, _ = people
    ended = layer([ann], "rota", end="2024-03-01T00:00:00Z")
    created = client.post("/schedules", json=schedule_body(ended)).json()["schedule"]
    layer_id = created["schedule_layers"][0]["id"]
    kept = client.put(f"/schedules/{created['id']}", json=schedule_body(layer([ann], "rota", id=layer_id)))
    assert kept.json()["schedule"]["schedule_layers"][0]["end"] == "2024-03-01T00:00:00+00:00"
    cleared = client.put(
        f"/schedules/{created['id']}", json=schedule_body(layer([ann], "rota", id=layer_id, end=None))
    )
    assert cleared.json()["schedule"]["schedule_layers"][0]["end"] is None


def test_layers_are_never_deleted_an_absent_layer_is_kept(client: httpx.Client, people) -> None:
    ann, bob, cy = people
    created = client.post("/schedules", json=schedule_body(layer([ann], "a"), layer([bob], "b"))).json()[
        "schedule"
    ]
    first_id = created["schedule_layers"][1]["id"]
    body = schedule_body(layer([ann], "a", id=first_id), layer([cy], "c"))
    names = [
        item["name"]
        for item in client.put(f"/schedules/{created['id']}", json=body).json()["schedule"]["schedule_layers"]
    ]
    assert names == ["c", "b", "a"]


def test_unknown_layer_id_is_400(client: httpx.Client, people) -> None:
    ann, _, _ = people
    created = client.post("/schedules", json=schedule_body(layer([ann], "a"))).json()["schedule"]
    response = client.put(f"/schedules/{created['id']}", json=schedule_body(layer([ann], "a", id="PNOPE00")))
    assert response.status_code == 400


def test_rendered_get_with_window_time_zone_and_overflow(client: httpx.Client, people) -> None:
    ann, _, _ = people
    created = client.post("/schedules", json=schedule_body(layer([ann], "a"))).json()["schedule"]
    params = {"since": "2024-01-01T06:00:00Z", "until": "2024-01-01T12:00:00Z", "time_zone": "Asia/Tokyo"}
    cut = client.get(f"/schedules/{created['id']}", params=params).json()["schedule"]["final_schedule"]
    assert cut["rendered_schedule_entries"][0]["start"] == "2024-01-01T15:00:00+09:00"
    assert cut["rendered_coverage_percentage"] == 100.0
    whole = client.get(f"/schedules/{created['id']}", params={**params, "overflow": "true"}).json()
    assert (
        whole["schedule"]["final_schedule"]["rendered_schedule_entries"][0]["end"]
        == "2024-01-02T09:00:00+09:00"
    )


def test_user_not_in_account_is_400(client: httpx.Client, people) -> None:
    response = client.post("/schedules", json=schedule_body(layer(["PNOBODY"], "a")))
    assert response.status_code == 400


def test_list_with_query_include_and_delete(client: httpx.Client, people) -> None:
    ann, _, _ = people
    kept = client.post("/schedules", json=schedule_body(layer([ann], "a"), name="Primary")).json()["schedule"]
    gone = client.post("/schedules", json=schedule_body(layer([ann], "a"), name="Backup")).json()["schedule"]
    listed = client.get("/schedules", params={"query": "prim"}).json()
    assert [item["id"] for item in listed["schedules"]] == [kept["id"]]
    assert "schedule_layers" not in listed["schedules"][0]
    included = client.get("/schedules", params={"include[]": "schedule_layers"}).json()["schedules"]
    assert all("schedule_layers" in item for item in included)
    assert client.delete(f"/schedules/{gone['id']}").status_code == 204
    assert client.get(f"/schedules/{gone['id']}").json()["error"]["code"] == 3004


def test_preview_renders_without_saving(client: httpx.Client, people) -> None:
    ann, _, _ = people
    params = {"since": "2024-01-01T00:00:00Z", "until": "2024-01-02T00:00:00Z"}
    preview = client.post("/schedules/preview", params=params, json=schedule_body(layer([ann], "a")))
    assert preview.status_code == 200
    assert preview.json()["schedule"]["final_schedule"]["rendered_coverage_percentage"] == 100.0
    assert client.get("/schedules").json()["schedules"] == []


def test_overrides_create_list_delete(sim: RunningSimulator, client: httpx.Client, people, api_key) -> None:
    ann, bob, cy = people
    schedule_id = client.post("/schedules", json=schedule_body(layer([ann], "a"))).json()["schedule"]["id"]
    items = [
        {
            "start": "2024-01-02T10:00:00Z",
            "end": "2024-01-02T12:00:00Z",
            "user": {"id": bob, "type": "user_reference"},
        },
        {
            "start": "2024-01-02T13:00:00Z",
            "end": "2024-01-02T12:00:00Z",
            "user": {"id": bob, "type": "user_reference"},
        },
    ]
    created = client.post(f"/schedules/{schedule_id}/overrides", json={"overrides": items})
    assert created.status_code == 201
    assert [item["status"] for item in created.json()] == [201, 400]
    single = {
        "start": "2024-01-01T06:00:00Z",
        "end": "2024-01-01T08:00:00Z",
        "user": {"id": cy, "type": "user_reference"},
    }
    legacy = client.post(f"/schedules/{schedule_id}/overrides", json={"override": single})
    assert legacy.status_code == 201
    assert "id" in legacy.json()["override"]
    window = {"since": "2024-01-01T00:00:00Z", "until": "2024-01-03T00:00:00Z"}
    listed = client.get(f"/schedules/{schedule_id}/overrides", params=window).json()["overrides"]
    assert sorted(item["user"]["id"] for item in listed) == sorted([bob, cy])
    sim.set_clock("2024-01-01T07:00:00Z", frozen=True)
    future_id = created.json()[0]["override"]["id"]
    assert client.delete(f"/schedules/{schedule_id}/overrides/{future_id}").status_code == 204
    in_progress_id = legacy.json()["override"]["id"]
    assert client.delete(f"/schedules/{schedule_id}/overrides/{in_progress_id}").status_code == 200
    final = sim.final_schedule(api_key, schedule_id, T0, datetime(2024, 1, 3, tzinfo=UTC))
    assert [user for _, _, user in final] == [ann, cy, ann]
    assert client.get(f"/schedules/{schedule_id}/overrides").status_code == 400


def test_schedule_users_lists_who_is_on_call_in_the_window(client: httpx.Client, people) -> None:
    ann, bob, cy = people
    schedule_id = client.post("/schedules", json=schedule_body(layer([ann, bob, cy], "a"))).json()[
        "schedule"
    ]["id"]
    params = {"since": "2024-01-01T00:00:00Z", "until": "2024-01-02T12:00:00Z"}
    users = client.get(f"/schedules/{schedule_id}/users", params=params).json()["users"]
    assert [user["id"] for user in users] == [ann, bob]


def test_the_final_schedule_inspection_skips_rendering_an_unchanged_schedule(
    sim: RunningSimulator, client: httpx.Client, people, api_key
) -> None:
    ann, bob, _ = people
    created = client.post("/schedules", json=schedule_body(layer([ann], "rota"))).json()["schedule"]
    inspect = httpx.Client(
        base_url=sim.base_url, headers={"Authorization": f"Token token={api_key}"}, verify=sim.verify
    )
    path = f"/_sim/schedules/{created['id']}/final"
    window = {"since": T0.isoformat(), "until": datetime(2024, 1, 2, tzinfo=UTC).isoformat()}

    first = inspect.get(path, params=window).json()
    unless_first = {**window, "unless_revision": first["revision"]}
    assert inspect.get(path, params=unless_first).json() == {"revision": first["revision"], "unchanged": True}

    sent = layer([bob], "rota", id=created["schedule_layers"][0]["id"])
    client.put(f"/schedules/{created['id']}", json=schedule_body(sent)).raise_for_status()
    after = inspect.get(path, params=unless_first).json()
    inspect.close()
    assert after["revision"] > first["revision"]
    assert [entry["user_id"] for entry in after["entries"]] == [bob]
