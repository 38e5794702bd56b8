"""A merged rotation stays within what the target's administrators agreed to: every later change of
its settings is checked again for overlap and consent (409 with the reason), and the target's
administrators see the merges into their schedule and can end one (issue 15, point 2)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from simulated_pagerduty import ACME_KEY

pytestmark = pytest.mark.integration

DAY_TEAM = "lead@day.example.com"  # administers the target, whose schedule the night team writes into
NIGHT_TEAM = "lead@night.example.com"
DAY = {"start": "08:00:00", "end": "20:00:00"}
NIGHT = {"start": "20:00:00", "end": "08:00:00"}


async def _merged_pair(client: httpx.AsyncClient, api: Any) -> tuple[str, str]:
    """The day team's rotation with its own schedule, and the night team's merged into it (the day
    team's lead agreed: they are an administrator of both when the merge is made)."""
    day = await api.create_rotation(DAY_TEAM, name="Day", time_zone="Europe/London", coverage=DAY)
    night = await api.create_rotation(NIGHT_TEAM, name="Night", time_zone="Europe/London", coverage=NIGHT)
    own = {"mode": "own", "subdomain": "acme", "api_key": ACME_KEY, "region": "eu"}
    configured = await client.put(
        f"/v1/rotations/{day['id']}/pagerduty", json=own, headers=api.auth(DAY_TEAM)
    )
    assert configured.status_code == 200, configured.text
    shared = await client.put(
        f"/v1/rotations/{night['id']}/admins", json=[NIGHT_TEAM, DAY_TEAM], headers=api.auth(NIGHT_TEAM)
    )
    assert shared.status_code == 200, shared.text
    merge = {"mode": "merge", "merge_with": day["id"]}
    merged = await client.put(
        f"/v1/rotations/{night['id']}/pagerduty", json=merge, headers=api.auth(DAY_TEAM)
    )
    assert merged.status_code == 200, merged.text
    return day["id"], night["id"]


async def _patch(
    client: httpx.AsyncClient, api: Any, rotation_id: str, actor: str, **body: Any
) -> httpx.Response:
    return await client.patch(f"/v1/rotations/{rotation_id}", json=body, headers=api.auth(actor))


async def _coverage(client: httpx.AsyncClient, api: Any, rotation_id: str) -> Any:
    rotation = (await client.get(f"/v1/rotations/{rotation_id}", headers=api.auth(DAY_TEAM))).json()
    return rotation["coverage"]


@pytest.mark.parametrize(
    "change",
    [
        {"coverage": {"start": "18:00", "end": "08:00"}},  # widened into the day team's hours
        {"coverage": None},  # 24 h
        {"backup": True},
        {"time_zone": "America/New_York"},
        {"handoffs": ["P1D"]},
    ],
)
async def test_the_merged_rotations_admin_alone_cannot_change_its_settings(
    client: httpx.AsyncClient, api: Any, change: dict[str, Any]
) -> None:
    """What was tried: widening to 18:00-08:00, and to no window at all, were both answered 200."""
    _, night = await _merged_pair(client, api)

    response = await _patch(client, api, night, NIGHT_TEAM, **change)

    assert response.status_code == 409, response.text
    assert "Day" in response.json()["detail"]
    assert DAY_TEAM in response.json()["detail"]
    assert await _coverage(client, api, night) == NIGHT


@pytest.mark.parametrize("coverage", [{"start": "18:00", "end": "08:00"}, None])
async def test_even_with_consent_a_merged_rotation_cannot_overlap_the_target(
    client: httpx.AsyncClient, api: Any, coverage: Any
) -> None:
    _, night = await _merged_pair(client, api)

    response = await _patch(client, api, night, DAY_TEAM, coverage=coverage)

    assert response.status_code == 409, response.text
    assert "overlap" in response.json()["detail"]
    assert await _coverage(client, api, night) == NIGHT


async def test_a_change_the_targets_admin_agrees_to_and_that_overlaps_nothing_is_made(
    client: httpx.AsyncClient, api: Any
) -> None:
    _, night = await _merged_pair(client, api)
    narrower = {"start": "21:00:00", "end": "07:00:00"}

    response = await _patch(client, api, night, DAY_TEAM, coverage=narrower)

    assert response.status_code == 200, response.text
    assert await _coverage(client, api, night) == narrower
    renamed = await _patch(client, api, night, NIGHT_TEAM, name="Night shift")  # the layer's label only
    assert renamed.status_code == 200, renamed.text


async def test_the_target_cannot_widen_into_a_merged_rotations_hours(
    client: httpx.AsyncClient, api: Any
) -> None:
    day, _ = await _merged_pair(client, api)

    response = await _patch(client, api, day, DAY_TEAM, coverage={"start": "07:00", "end": "21:00"})

    assert response.status_code == 409, response.text
    assert "overlap" in response.json()["detail"]
    assert await _coverage(client, api, day) == DAY


async def test_the_targets_admins_see_the_merges_and_end_one(
    client: httpx.AsyncClient,
    api: Any,
    relayed: Any,
) -> None:
    day, night = await _merged_pair(client, api)
    merges_url = f"/v1/rotations/{day}/pagerduty/merges"

    listed = (await client.get(merges_url, headers=api.auth(DAY_TEAM))).json()
    assert [(m["rotation_id"], m["name"], m["coverage"]) for m in listed] == [(night, "Night", NIGHT)]
    assert listed[0]["admins"] == sorted([DAY_TEAM, NIGHT_TEAM])
    stranger = await client.delete(f"{merges_url}/{night}", headers=api.auth("someone@example.com"))
    assert stranger.status_code == 403
    unknown = await client.delete(f"{merges_url}/{day}", headers=api.auth(DAY_TEAM))
    assert unknown.status_code == 404

    ended = await client.delete(f"{merges_url}/{night}", headers=api.auth(DAY_TEAM))

    assert ended.status_code == 204, ended.text
    assert (await client.get(merges_url, headers=api.auth(DAY_TEAM))).json() == []
    gone = await client.get(f"/v1/rotations/{night}/pagerduty", headers=api.auth(NIGHT_TEAM))
    assert gone.status_code == 404
    assert (await client.get(f"/v1/rotations/{day}/pagerduty", headers=api.auth(DAY_TEAM))).status_code == 200
    events = [event.payload for event in await relayed()]
    removed = [e for e in events if e.EVENT_TYPE == "IntegrationRemoved"]
    assert [e.rotation_id for e in removed] == [night]  # pd-sync ends the night layer in the day schedule
    widened = await _patch(client, api, night, NIGHT_TEAM, coverage=None)  # no longer bound by the merge
    assert widened.status_code == 200, widened.text
