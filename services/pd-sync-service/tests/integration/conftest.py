"""The tests of one module share one running service per DST reading of the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pd_sync_world import World, world_running


# Module scope: a world lives in one event loop that keeps running while its tests do; a longer-lived
# loop would sit idle under other suites while its Kafka clients time out.
@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["fixed", "wallclock"])
async def world(
    request: pytest.FixtureRequest, kafka_bootstrap_servers: str, postgres_server_url: str
) -> AsyncIterator[World]:
    async with world_running(kafka_bootstrap_servers, postgres_server_url, request.param) as running:
        yield running
