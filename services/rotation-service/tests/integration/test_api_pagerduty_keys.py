"""A key is checked against PagerDuty when a rotation's sync is configured: it must open the named
subdomain in the named region and be able to write; otherwise 422 says which check failed and nothing
is saved or announced (docs/security.md, T1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from simulated_pagerduty import ACME_KEY, ACME_READ_ONLY_KEY, GLOBEX_KEY

from oncall_contracts import IntegrationConfigured

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"
OTHER_TEAM = "other-team@example.com"


def config(api_key: str, subdomain: str = "acme", region: str = "eu") -> dict[str, str]:
    return {"mode": "own", "subdomain": subdomain, "api_key": api_key, "region": region}


@pytest.mark.parametrize(
    ("body", "check", "says"),
    [
        (config("u+made-up-key-0123456789"), "key", "does not accept"),
        (config(GLOBEX_KEY, region="us"), "subdomain", "'globex', not 'acme'"),
        (config(ACME_KEY, region="us"), "region", "EU region"),
        (config(ACME_READ_ONLY_KEY), "write", "read-only"),
    ],
    ids=["made-up-key", "key-of-another-account", "wrong-region", "read-only-key"],
)
async def test_a_key_that_fails_a_check_gets_422_naming_the_check(
    client: httpx.AsyncClient, api: Any, body: dict[str, str], check: str, says: str
) -> None:
    rotation = await api.create_rotation(OWNER)
    path = f"/v1/rotations/{rotation['id']}/pagerduty"
    response = await client.put(path, json=body, headers=api.auth(OWNER))
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "api_key"]
    assert error["type"] == f"pagerduty_key.{check}"
    assert says in error["msg"]
    assert body["api_key"] not in response.text
    assert (await client.get(path, headers=api.auth(OWNER))).status_code == 404


async def test_another_team_cannot_configure_a_junk_key_for_a_subdomain(
    client: httpx.AsyncClient,
    api: Any,
    relayed: Any,
) -> None:
    ours = await api.create_rotation(OWNER, name="Ours")
    theirs = await api.create_rotation(OTHER_TEAM, name="Theirs")
    configured = await client.put(
        f"/v1/rotations/{ours['id']}/pagerduty", json=config(ACME_KEY), headers=api.auth(OWNER)
    )
    assert configured.status_code == 200, configured.text
    junk = await client.put(
        f"/v1/rotations/{theirs['id']}/pagerduty",
        json=config("u+junk-for-acme-000000"),
        headers=api.auth(OTHER_TEAM),
    )
    assert junk.status_code == 422
    announced = [event for event in await relayed() if isinstance(event.payload, IntegrationConfigured)]
    assert len(announced) == 1, "only the verified key reaches the provisioner and the sync"
