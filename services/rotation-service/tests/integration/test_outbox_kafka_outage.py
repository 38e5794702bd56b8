from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from oncall_contracts.topics import Topics
from oncall_platform.kafka import ensure_topics
from rotation_service.bootstrap import Container

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


@pytest.fixture
async def kafka_servers(private_kafka: Any, topics: Topics) -> str:
    await ensure_topics(private_kafka.bootstrap_servers, topics.specs())
    servers: str = private_kafka.bootstrap_servers
    return servers


async def hundred_writes(api: Any) -> int:
    rotations = [await api.create_rotation(OWNER, name=f"R{i}", horizon_days=30) for i in range(4)]
    for i in range(16):
        await api.add_member(rotations[i % 4]["id"], OWNER, f"person{i}@example.com")
    for i in range(80):
        rotation = rotations[i % 4]
        response = await api.client.patch(
            f"/v1/rotations/{rotation['id']}", json={"name": f"R{i % 4} v{i}"}, headers=api.auth(OWNER)
        )
        assert response.status_code == 200, response.text
    return 100


async def test_writes_succeed_while_kafka_is_down_and_flow_once_it_is_back(
    api: Any, container: Container, ledger: Any, private_kafka: Any, topics: Topics, read_events: Any
) -> None:
    relay = asyncio.create_task(container.relay.run())
    try:
        await api.create_rotation(OWNER, name="before the outage")
        await ledger.wait_until_published(within=20)

        private_kafka.stop()
        assert await hundred_writes(api) == 100
        assert await ledger.unpublished() > 100  # waiting, not lost and not dropped

        private_kafka.start()
        await ledger.wait_until_published(within=90)
    finally:
        relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay
    total = len(await ledger.rows())
    records = await read_events(private_kafka.bootstrap_servers, topics.rotation, at_least=total, within=30)
    await ledger.assert_delivered_in_order(records)
