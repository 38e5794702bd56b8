"""Text limits at the API: over-long fields get 422 naming the field, over-large bodies 413."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from oncall_contracts import limits

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


def _member(**changes: object) -> dict[str, object]:
    return {"email": "ann@example.com", "name": "Ann", "time_zone": "Europe/London", **changes}


async def _members(client: httpx.AsyncClient, api: Any, rotation_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/rotations/{rotation_id}", headers=api.auth(OWNER))
    members: list[dict[str, Any]] = response.json()["members"]
    return members


async def test_a_member_name_of_a_megabyte_is_refused_413_and_nothing_is_added(
    client: httpx.AsyncClient, api: Any
) -> None:
    rotation = await api.create_rotation(OWNER)

    response = await client.post(
        f"/v1/rotations/{rotation['id']}/members", json=_member(name="n" * 1_100_000), headers=api.auth(OWNER)
    )

    assert response.status_code == 413
    assert response.json()["detail"] == "the request body is larger than the limit of 1048576 bytes"
    assert await _members(client, api, rotation["id"]) == []


async def test_a_chunked_body_over_the_cap_is_refused_413(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)
    body = json.dumps(_member(name="n" * 1_100_000)).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await client.post(
        f"/v1/rotations/{rotation['id']}/members",
        content=chunks(),
        headers={**api.auth(OWNER), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert await _members(client, api, rotation["id"]) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "n" * 300),
        ("name", "n" * 250),
        ("name", "n" * (limits.PERSON_NAME + 1)),
        ("email", "a" * 95 + "@x.com"),  # 101 characters: PagerDuty's user e-mail limit is 100
        ("time_zone", "Europe/" + "x" * 100),
    ],
)
async def test_an_over_long_member_field_gets_422_naming_it(
    client: httpx.AsyncClient, api: Any, field: str, value: str
) -> None:
    rotation = await api.create_rotation(OWNER)

    response = await client.post(
        f"/v1/rotations/{rotation['id']}/members", json=_member(**{field: value}), headers=api.auth(OWNER)
    )

    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert error["type"] == "string_too_long"
    assert value not in response.text
    assert await _members(client, api, rotation["id"]) == []


async def test_a_member_at_pagerdutys_limits_is_added(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)
    name, email = "N" * limits.PERSON_NAME, "a" * 94 + "@x.com"

    members = f"/v1/rotations/{rotation['id']}/members"
    response = await client.post(members, json=_member(name=name, email=email), headers=api.auth(OWNER))

    assert response.status_code == 201, response.text
    [member] = await _members(client, api, rotation["id"])
    assert (member["name"], member["email"]) == (name, email)


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "r" * (limits.ROTATION_NAME + 1)), ("time_zone", "Europe/" + "x" * 100)],
)
async def test_an_over_long_rotation_field_gets_422_naming_it(
    client: httpx.AsyncClient, api: Any, field: str, value: str
) -> None:
    response = await client.post("/v1/rotations", json={**api.weekly, field: value}, headers=api.auth(OWNER))

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]


async def test_an_over_long_schedule_name_or_api_key_gets_422_naming_it(
    client: httpx.AsyncClient, api: Any
) -> None:
    rotation = await api.create_rotation(OWNER)
    config = {"mode": "own", "subdomain": "acme", "api_key": "k" * 20}
    pagerduty = f"/v1/rotations/{rotation['id']}/pagerduty"

    for field, value in (("schedule_name", "s" * 201), ("api_key", "k" * (limits.API_KEY + 1))):
        response = await client.put(pagerduty, json={**config, field: value}, headers=api.auth(OWNER))
        assert response.status_code == 422, response.text
        assert [error["loc"][-1] for error in response.json()["detail"]] == [field]
        assert value not in response.text
