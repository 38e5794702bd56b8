"""Bounded work per request: settings, members and time ranges that would keep the API busy get a 422
naming the field, and nothing is created or changed (issue 15, point 5)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from oncall_contracts import limits

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


def _every(minutes: int, days: int = 1) -> list[str]:
    return [f"PT{offset}M" for offset in range(0, days * 1440, minutes)]


def _field_of(response: httpx.Response) -> str:
    [error] = response.json()["detail"]
    field: str = error["loc"][-1]
    return field


async def _rotation_count(client: httpx.AsyncClient, api: Any) -> int:
    return len((await client.get("/v1/rotations", headers=api.auth(OWNER))).json())


async def test_a_rotation_with_1440_handoffs_a_day_and_a_730_day_horizon_is_refused_at_once(
    client: httpx.AsyncClient, api: Any
) -> None:
    """What was tried: answered 201 after 104 s, the API doing nothing else meanwhile."""
    body = {**api.weekly, "period": "P1D", "handoffs": _every(1), "horizon_days": 730}

    started = time.monotonic()
    response = await client.post("/v1/rotations", json=body, headers=api.auth(OWNER))

    assert response.status_code == 422, response.text
    assert _field_of(response) == "handoffs"
    assert time.monotonic() - started < 5
    assert await _rotation_count(client, api) == 0


async def test_more_handoffs_a_period_than_the_limit_get_422_on_handoffs(
    client: httpx.AsyncClient, api: Any
) -> None:
    handoffs = _every(30, days=7)[: limits.HANDOFFS_PER_PERIOD + 1]
    body = {**api.weekly, "handoffs": handoffs, "horizon_days": 7}

    response = await client.post("/v1/rotations", json=body, headers=api.auth(OWNER))

    assert response.status_code == 422, response.text
    assert _field_of(response) == "handoffs"


async def test_a_horizon_holding_more_shifts_than_the_limit_gets_422_on_horizon_days(
    client: httpx.AsyncClient, api: Any
) -> None:
    over = limits.SHIFTS_PER_ROTATION // 4 + 1  # four shifts a day: just over the limit
    body = {**api.weekly, "period": "P1D", "handoffs": _every(360), "horizon_days": over}

    response = await client.post("/v1/rotations", json=body, headers=api.auth(OWNER))

    assert response.status_code == 422, response.text
    assert _field_of(response) == "horizon_days"
    assert str(limits.SHIFTS_PER_ROTATION) in response.json()["detail"][0]["msg"]
    allowed = {**body, "horizon_days": over - 1}
    assert (await client.post("/v1/rotations", json=allowed, headers=api.auth(OWNER))).status_code == 201


async def test_three_eight_hour_shifts_a_day_over_the_default_horizon_are_planned(
    client: httpx.AsyncClient, api: Any
) -> None:
    body = {key: value for key, value in api.weekly.items() if key != "horizon_days"}
    body |= {"period": "P1D", "handoffs": _every(480)}

    response = await client.post("/v1/rotations", json=body, headers=api.auth(OWNER))

    assert response.status_code == 201, response.text
    assert response.json()["horizon_days"] == 182


async def test_a_change_of_settings_is_held_to_the_same_limits(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER, period="P1D", handoffs=_every(360), horizon_days=60)

    response = await client.patch(
        f"/v1/rotations/{rotation['id']}", json={"horizon_days": 200}, headers=api.auth(OWNER)
    )

    assert response.status_code == 422, response.text
    assert _field_of(response) == "horizon_days"
    after = (await client.get(f"/v1/rotations/{rotation['id']}", headers=api.auth(OWNER))).json()
    assert after["horizon_days"] == 60


async def test_the_member_after_the_limit_gets_422_on_members(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER, horizon_days=14)
    for index in range(limits.MEMBERS_PER_ROTATION):
        await api.add_member(rotation["id"], OWNER, f"m{index}@example.com")

    response = await client.post(
        f"/v1/rotations/{rotation['id']}/members",
        json={"email": "one-more@example.com", "name": "One More", "time_zone": "UTC"},
        headers=api.auth(OWNER),
    )

    assert response.status_code == 422, response.text
    assert _field_of(response) == "members"
    after = (await client.get(f"/v1/rotations/{rotation['id']}", headers=api.auth(OWNER))).json()
    assert len(after["members"]) == limits.MEMBERS_PER_ROTATION


@pytest.mark.parametrize("listing", ["oncall", "shifts"])
async def test_a_time_range_longer_than_the_limit_gets_422_on_until(
    client: httpx.AsyncClient, api: Any, listing: str
) -> None:
    rotation = await api.create_rotation(OWNER, coverage={"start": "09:00", "end": "17:00"})
    await api.add_member(rotation["id"], OWNER, "ann@example.com")
    url = f"/v1/rotations/{rotation['id']}/{listing}"

    too_long = {"since": "2026-12-01T00:00:00Z", "until": "9999-12-01T00:00:00Z"}
    response = await client.get(url, params=too_long, headers=api.auth(OWNER))

    assert response.status_code == 422, response.text
    assert _field_of(response) == "until"
    longest = {"since": "2026-12-01T00:00:00Z", "until": "2028-12-01T00:00:00Z"}  # 731 days
    assert (await client.get(url, params=longest, headers=api.auth(OWNER))).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"time_zone": "Mars/Olympus"}, "time_zone"), ({"period": "P0D"}, "period")],
)
async def test_bad_zones_and_zero_periods_still_get_422(
    client: httpx.AsyncClient, api: Any, changes: dict[str, object], field: str
) -> None:
    response = await client.post("/v1/rotations", json={**api.weekly, **changes}, headers=api.auth(OWNER))

    assert response.status_code == 422, response.text
    assert _field_of(response) == field


async def test_a_malformed_email_still_gets_422(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)

    response = await client.post(
        f"/v1/rotations/{rotation['id']}/members",
        json={"email": "not-an-address", "name": "X", "time_zone": "UTC"},
        headers=api.auth(OWNER),
    )

    assert response.status_code == 422, response.text
    assert _field_of(response) == "email"
