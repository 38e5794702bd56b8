from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from typing import Any

import httpx
import pytest
from oncall_contracts.topics import Topics
from oncall_platform.kafka import ensure_topics
from opentelemetry.sdk.trace import TracerProvider

from rotation_service.adapters.migrations import upgrade
from rotation_service.bootstrap import bootstrap

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


async def hundred_writes(api: Any) -> None:
    rotations = [await api.create_rotation(OWNER, name=f"R{i}", horizon_days=30) for i in range(4)]
    for i in range(16):
        await api.add_member(rotations[i % 4]["id"], OWNER, f"person{i}@example.com")
    for i in range(80):
        rotation = rotations[i % 4]
        response = await api.client.patch(
            f"/v1/rotations/{rotation['id']}", json={"name": f"R{i % 4} v{i}"}, headers=api.auth(OWNER)
        )
        assert response.status_code == 200, response.text


async def test_writes_succeed_while_kafka_is_down_and_flow_once_it_is_back(
    private_kafka: Any, database_url: str, topics: Topics, clock: Any, tracer_provider: TracerProvider,
    read_events: Any,
) -> None:
    from conftest_helpers import Api, OutboxLedger, make_settings  # noqa: F401
