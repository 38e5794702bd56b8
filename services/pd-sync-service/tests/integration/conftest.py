"""The integration tests share one running service per DST reading of the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pd_sync_world import World, world_running


@pytest_asyncio.fixture(scope="package", loop_scope="package", params=["fixed", "wallclock"])
async def world(
    request: pytest.FixtureRequest, kafka_bootstrap_servers: str, postgres_server_url: str
) -> AsyncIterator[World]:
    async with world_running(kafka_bootstrap_servers, postgres_server_url, request.param) as running:
        yield running
