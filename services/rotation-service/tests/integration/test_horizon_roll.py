from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from rotation_service.bootstrap import Container

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


async def test_the_horizon_rolls_forward_as_the_clock_moves(
    client: httpx.AsyncClient, api: Any, container: Container, clock: Any, ledger: Any
) -> None:
    rotation = await api.create_rotation(OWNER, horizon_days=28)
    for person in ("ann", "bob"):
        await api.add_member(rotation["id"], OWNER, f"{person}@example.com")
    shifts_url = f"/v1/rotations/{rotation['id']}/shifts"
    before = (await client.get(shifts_url, headers=api.auth(OWNER))).json()
    assert await container.rotations.roll_horizons() == 0  # nothing to do at the same instant
    events_before = len(await ledger.rows())

    clock.now += timedelta(days=21)
    assert await container.rotations.roll_horizons() == 1
    after = (await client.get(shifts_url, headers=api.auth(OWNER))).json()
    assert after[-1]["start"] > before[-1]["start"]
    assert after[: len(before)] == before  # nothing already planned moved
    assert len(await ledger.rows()) > events_before  # the new shifts went to the outbox
