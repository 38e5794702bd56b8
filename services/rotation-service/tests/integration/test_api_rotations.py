from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


async def test_create_rotation_add_members_and_read_shifts(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)
    assert rotation["admins"] == [OWNER]
    assert rotation["period"] == "P7D"
    for email in ("ann@example.com", "bob@example.com", "cat@example.com"):
        await api.add_member(rotation["id"], OWNER, email)

    reader = api.auth("someone.else@example.com")
    shifts = (await client.get(f"/v1/rotations/{rotation['id']}/shifts", headers=reader)).json()
    assert len(shifts) >= 8
    assert {s["primary"] for s in shifts} == {"ann@example.com", "bob@example.com", "cat@example.com"}
    assert shifts[0]["start"].startswith("2026-12-07T09:00:00")

    oncall = await client.get(
        f"/v1/rotations/{rotation['id']}/oncall",
        params={"role": "primary", "since": "2026-12-07T09:00:00Z", "until": "2026-12-21T09:00:00Z"},
        headers=reader,
    )
    assert oncall.status_code == 200
    entries = oncall.json()
    assert [e["start"][:19] for e in entries] == ["2026-12-07T09:00:00", "2026-12-14T09:00:00"]
    assert entries[0]["email"] != entries[1]["email"]


async def test_requests_without_a_valid_token_get_401(client: httpx.AsyncClient, api: Any) -> None:
    assert (await client.get("/v1/rotations")).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await client.post("/v1/rotations", json=api.weekly, headers=bad)).status_code == 401
    assert (await client.get("/healthz")).status_code == 200


async def test_only_administrators_change_a_rotation(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)
    rid = rotation["id"]
    stranger = api.auth("stranger@example.com")
    member = {"email": "ann@example.com", "name": "Ann", "time_zone": "UTC"}
    assert (
        await client.post(f"/v1/rotations/{rid}/members", json=member, headers=stranger)
    ).status_code == 403
    assert (
        await client.patch(f"/v1/rotations/{rid}", json={"name": "x"}, headers=stranger)
    ).status_code == 403
    assert (
        await client.put(f"/v1/rotations/{rid}/admins", json=["x@example.com"], headers=stranger)
    ).status_code == 403
    assert (await client.delete(f"/v1/rotations/{rid}", headers=stranger)).status_code == 403
    assert (await client.get(f"/v1/rotations/{rid}", headers=stranger)).status_code == 200

    granted = await client.put(
        f"/v1/rotations/{rid}/admins", json=[OWNER, "stranger@example.com"], headers=api.auth(OWNER)
    )
    assert granted.json() == [OWNER, "stranger@example.com"]
    assert (
        await client.patch(f"/v1/rotations/{rid}", json={"name": "Renamed"}, headers=stranger)
    ).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "unknown"),
        ({"coverage": {"start": "08:00", "end": "08:00"}}, "coverage", "equal"),
        ({"handoffs": ["P8D"]}, "handoffs", "outside"),
        ({"period": "PT5H"}, "period", "whole number of days"),
        ({"horizon_days": 5000}, "horizon_days", "between"),
    ],
)
async def test_invalid_rotations_get_422_naming_the_field(
    client: httpx.AsyncClient, api: Any, changes: dict[str, object], field: str, problem: str
) -> None:
    response = await client.post("/v1/rotations", json={**api.weekly, **changes}, headers=api.auth(OWNER))
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][-1] == field
    assert problem in error["msg"]


async def test_unknown_member_in_a_shift_reassignment_gets_422(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)
    await api.add_member(rotation["id"], OWNER, "ann@example.com")
    shifts = (await client.get(f"/v1/rotations/{rotation['id']}/shifts", headers=api.auth(OWNER))).json()
    response = await client.patch(
        f"/v1/rotations/{rotation['id']}/shifts/{shifts[1]['id']}",
        json={"primary": "ghost@example.com"},
        headers=api.auth(OWNER),
    )
    assert response.status_code == 422
    assert "ghost@example.com" in response.json()["detail"][0]["msg"]


async def test_member_leaving_only_changes_their_future_shifts(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)
    rid = rotation["id"]
    for email in ("ann@example.com", "bob@example.com", "cat@example.com"):
        await api.add_member(rid, OWNER, email)
    before = (await client.get(f"/v1/rotations/{rid}/shifts", headers=api.auth(OWNER))).json()
    assert (
        await client.delete(f"/v1/rotations/{rid}/members/bob@example.com", headers=api.auth(OWNER))
    ).status_code == 204
    after = {
        s["id"]: s for s in (await client.get(f"/v1/rotations/{rid}/shifts", headers=api.auth(OWNER))).json()
    }
    for shift in before:
        if shift["primary"] != "bob@example.com":
            assert after[shift["id"]]["primary"] == shift["primary"]
        else:
            assert after[shift["id"]]["primary"] in {"ann@example.com", "cat@example.com"}
    missing = await client.delete(f"/v1/rotations/{rid}/members/bob@example.com", headers=api.auth(OWNER))
    assert missing.status_code == 404


async def test_only_an_admin_reassigns_a_shift_directly(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)
    rid = rotation["id"]
    for email in ("ann@example.com", "bob@example.com"):
        await api.add_member(rid, OWNER, email)
    shifts = (await client.get(f"/v1/rotations/{rid}/shifts", headers=api.auth(OWNER))).json()
    shift = shifts[2]
    holder = shift["primary"]
    other = ({"ann@example.com", "bob@example.com"} - {holder}).pop()
    url = f"/v1/rotations/{rid}/shifts/{shift['id']}"
    stranger = await client.patch(url, json={"primary": other}, headers=api.auth("stranger@example.com"))
    assert stranger.status_code == 403
    holder_alone = await client.patch(url, json={"primary": other}, headers=api.auth(holder))
    assert holder_alone.status_code == 403  # a holder asks: POST .../shift-requests
    handed_on = await client.patch(url, json={"primary": other}, headers=api.auth(OWNER))
    assert handed_on.status_code == 200, handed_on.text
    assert handed_on.json()["primary"] == other
    assert handed_on.json()["pinned"] is True


async def test_two_future_shifts_are_swapped_by_an_admin_and_nothing_else_moves(
    client: httpx.AsyncClient, api: Any
) -> None:
    rotation = await api.create_rotation(OWNER)
    rid = rotation["id"]
    for email in ("ann@example.com", "bob@example.com", "cat@example.com"):
        await api.add_member(rid, OWNER, email)
    before = (await client.get(f"/v1/rotations/{rid}/shifts", headers=api.auth(OWNER))).json()
    first = next(s for s in before[1:] if s["primary"] == "ann@example.com")
    second = next(s for s in before[1:] if s["primary"] == "bob@example.com")
    path = f"/v1/rotations/{rid}/shifts/{first['id']}/swap"

    stranger = await client.post(
        path, json={"with_shift_id": second["id"]}, headers=api.auth("eve@example.com")
    )
    assert stranger.status_code == 403
    unknown = await client.post(path, json={"with_shift_id": "no-such-shift"}, headers=api.auth(OWNER))
    assert unknown.status_code in {404, 422}

    holder_alone = await client.post(
        path, json={"with_shift_id": second["id"]}, headers=api.auth("ann@example.com")
    )
    assert holder_alone.status_code == 403  # a holder asks: POST .../shift-requests
    swapped = await client.post(path, json={"with_shift_id": second["id"]}, headers=api.auth(OWNER))
    assert swapped.status_code == 200, swapped.text
    after = {
        s["id"]: s for s in (await client.get(f"/v1/rotations/{rid}/shifts", headers=api.auth(OWNER))).json()
    }
    assert after[first["id"]]["primary"] == "bob@example.com"
    assert after[second["id"]]["primary"] == "ann@example.com"
    for shift in before:
        if shift["id"] not in {first["id"], second["id"]}:
            assert after[shift["id"]]["primary"] == shift["primary"]
