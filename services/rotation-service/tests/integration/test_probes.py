"""`/healthz` and `/readyz`, the same probes as every service: readiness needs the relay's broker and
the database (see oncall_platform.probes)."""

from __future__ import annotations

import httpx
import pytest

from rotation_service.bootstrap import Container

pytestmark = pytest.mark.integration


async def test_ready_once_the_relay_broker_is_connected(
    client: httpx.AsyncClient, container: Container
) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    before = await client.get("/readyz")  # nothing started the relay yet: its broker is not connected
    assert before.status_code == 503
    assert before.json() == {
        "status": "unavailable",
        "not_ready": ["kafka"],
        "checks": {"kafka": "unreachable", "database": "ok"},
    }

    await container.relay.publish_pending()  # connects the relay's producer, as `serve` does at start

    after = await client.get("/readyz")
    assert after.status_code == 200
    assert after.json() == {"status": "ok", "checks": {"kafka": "ok", "database": "ok"}}
