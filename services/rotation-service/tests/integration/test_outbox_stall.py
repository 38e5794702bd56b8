"""An event Kafka refuses (1.1 MB) is parked; no rotation's changes stall behind it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import pytest

from oncall_contracts import Envelope, MemberAdded, registry
from oncall_contracts.topics import Topics
from oncall_platform.outbox import Outbox
from rotation_service.adapters.unit_of_work import SqlUnitOfWork
from rotation_service.bootstrap import Container

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"
HUGE_NAME = "x" * 1_100_000


async def write_oversized_event(container: Container, topics: Topics, rotation_id: str) -> str:
    """What a 1.1 MB member name used to put in the outbox (built past today's and any future checks)."""
    payload = MemberAdded.model_construct(
        rotation_id=rotation_id, email="huge@example.com", name=HUGE_NAME, time_zone="UTC"
    )
    envelope = Envelope.new(payload, producer="rotation-service")
    async with SqlUnitOfWork(container.sessions, Outbox(topics), after_commit=container.relay.wake) as uow:
        uow.outbox.add_all([envelope])
        await uow.commit()
    return str(envelope.event_id)


async def test_an_event_too_large_for_kafka_is_parked_and_every_rotation_keeps_publishing(
    api: Any,
    container: Container,
    ledger: Any,
    topics: Topics,
    kafka_bootstrap_servers: str,
    read_events: Any,
) -> None:
    stuck = await api.create_rotation(OWNER, name="Stuck")
    other = await api.create_rotation(OWNER, name="Other")
    huge = await write_oversized_event(container, topics, stuck["id"])
    relay = asyncio.create_task(container.relay.run())
    try:
        await api.add_member(stuck["id"], OWNER, "after@example.com")  # same key, after the parked row
        await api.add_member(other["id"], OWNER, "other@example.com")
        await ledger.wait_until_published(within=30)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay

    [(parked_id, reason)] = await ledger.parked()
    assert parked_id == huge
    assert "larger than" in reason
    assert await container.relay.parked_count() == 1
    total = len(await ledger.rows())
    records = await read_events(kafka_bootstrap_servers, topics.rotation, at_least=total)
    await ledger.assert_delivered_in_order(records)
    key = stuck["id"].encode()
    stuck_events = [registry.decode(r.value, dict(r.headers)) for r in records if r.key == key]
    assert "after@example.com" in {e.payload.email for e in stuck_events if e.type == "MemberAdded"}


async def test_the_api_refuses_a_member_name_of_a_megabyte_and_writes_nothing(
    client: httpx.AsyncClient, api: Any, ledger: Any
) -> None:
    rotation = await api.create_rotation(OWNER)
    before = len(await ledger.rows())
    body = {"email": "huge@example.com", "name": HUGE_NAME, "time_zone": "Europe/London"}
    url = f"/v1/rotations/{rotation['id']}/members"
    response = await client.post(url, json=body, headers=api.auth(OWNER))
    assert response.status_code in {413, 422}  # the body, or the name field, is over its limit
    assert HUGE_NAME not in response.text
    assert len(await ledger.rows()) == before  # nothing was written
