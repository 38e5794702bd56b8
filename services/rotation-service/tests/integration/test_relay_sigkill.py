from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from oncall_contracts.topics import Topics
from rotation_service.bootstrap import Container
from rotation_service.settings import RotationServiceSettings

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


def relay_process(settings: RotationServiceSettings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "JWT_AUDIENCE": settings.jwt_audience or "",
        "JWT_ISSUER": settings.jwt_issuer or "",
        "CREDENTIAL_KEYS": settings.credential_keys.get_secret_value(),
        "OUTBOX_BATCH_SIZE": "10",
        "OUTBOX_POLL_INTERVAL_SECONDS": "0.1",
    }
    command = [sys.executable, "-m", "rotation_service", "relay"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def test_killing_the_relay_mid_publish_loses_nothing(
    api: Any,
    container: Container,
    ledger: Any,
    settings: RotationServiceSettings,
    topics: Topics,
    kafka_bootstrap_servers: str,
    read_events: Any,
) -> None:
    for i in range(6):
        rotation = await api.create_rotation(OWNER, name=f"R{i}", horizon_days=120)
        for person in ("ann", "bob", "cat"):
            await api.add_member(rotation["id"], OWNER, f"{person}{i}@example.com")
    total = len(await ledger.rows())
    assert total > 100

    first = relay_process(settings)
    try:
        while (pending := await ledger.unpublished()) == total:
            assert first.poll() is None, first.stderr.read() if first.stderr else b""
            await asyncio.sleep(0.01)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(timeout=10)
    assert pending > 0, "the relay finished before it could be killed; the test proved nothing"

    second = relay_process(settings)
    try:
        await ledger.wait_until_published(within=90)  # a cold start under load
    finally:
        second.terminate()
        second.wait(timeout=10)
    records = await read_events(kafka_bootstrap_servers, topics.rotation, at_least=total, within=30)
    await ledger.assert_delivered_in_order(records)
