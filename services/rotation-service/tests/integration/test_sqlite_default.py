from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from oncall_contracts.topics import Topics
from oncall_platform.outbox import OUTBOX
from rotation_service.adapters.migrations import SCHEMA
from rotation_service.bootstrap import bootstrap

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


async def test_the_embedded_sqlite_database_serves_the_api(
    tmp_path: Path, clock: Any, make_service_settings: Any, api: Any
) -> None:
    """Local runs without DATABASE_URL use SQLite: migrations, writes and the outbox work there too."""
    url = f"sqlite:///{tmp_path / 'rotation-service.db'}"
    settings = make_service_settings(url, "127.0.0.1:1", Topics("sqlite."))
    await SCHEMA.upgrade_async(url)
    container = bootstrap(settings, clock=clock)
    try:
        transport = httpx.ASGITransport(app=container.app())
        async with httpx.AsyncClient(transport=transport, base_url="http://local.test") as http:
            created = await http.post("/v1/rotations", json=api.weekly, headers=api.auth(OWNER))
            assert created.status_code == 201, created.text
            rid = created.json()["id"]
            member = {"email": "ann@example.com", "name": "Ann", "time_zone": "UTC"}
            added = await http.post(f"/v1/rotations/{rid}/members", json=member, headers=api.auth(OWNER))
            assert added.status_code == 201, added.text
            shifts = (await http.get(f"/v1/rotations/{rid}/shifts", headers=api.auth(OWNER))).json()
            assert shifts
            assert {s["primary"] for s in shifts} == {"ann@example.com"}
        async with container.sessions() as session:
            queued = (await session.execute(select(func.count()).select_from(OUTBOX))).scalar_one()
        assert queued >= 2 + len(shifts)
    finally:
        await container.close()
