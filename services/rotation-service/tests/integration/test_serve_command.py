from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from oncall_contracts import registry
from oncall_contracts.topics import Topics
from oncall_testing import service_process
from oncall_testing.eventually import eventually
from oncall_testing.kafka import free_port
from rotation_service.settings import RotationServiceSettings

pytestmark = pytest.mark.integration


async def wait_healthy(base_url: str, process: subprocess.Popen[bytes], within: float = 90.0) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:

        async def ready_or_exited() -> bool:
            return process.poll() is not None or (await http.get("/readyz")).status_code == 200

        await eventually(ready_or_exited, within=within, what="rotation-service serve to be ready")
    assert process.poll() is None, "rotation-service serve exited early"


async def test_serve_serves_publishes_promptly_and_logs_only_json(
    tmp_path: Path,
    settings: RotationServiceSettings,
    topics: Topics,
    kafka_bootstrap_servers: str,
    read_events: Any,
    api: Any,
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "KAFKA_TOPIC_PREFIX": topics.prefix,
        "JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "JWT_AUDIENCE": settings.jwt_audience or "",
        "JWT_ISSUER": settings.jwt_issuer or "",
        "CREDENTIAL_KEYS": settings.credential_keys.get_secret_value(),
        "ROTATION_SERVICE_PORT": str(port),
        "OUTBOX_POLL_INTERVAL_SECONDS": "30",  # so only the in-process wake-up can explain a prompt publish
    }
    service_process.migrate("rotation-service", env)
    log_path = tmp_path / "service.log"
    log = log_path.open("w")
    process = service_process.serve("rotation-service", env, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(base_url, process)
        async with httpx.AsyncClient(base_url=base_url) as http:

            async def create_rotation() -> str:
                response = await http.post(
                    "/v1/rotations", json=api.weekly, headers=api.auth("ops@example.com")
                )
                assert response.status_code == 201, response.text
                rotation_id: str = response.json()["id"]
                return rotation_id

            # Once a first event is on the topic, the relay's first round (which reads the outbox at
            # start) is behind it: within the 30 s poll, only the commit's wake-up can publish the next.
            await create_rotation()
            await read_events(kafka_bootstrap_servers, topics.rotation, at_least=1, within=30)
            started = time.monotonic()
            rotation_id = await create_rotation()
            records = await read_events(kafka_bootstrap_servers, topics.rotation, at_least=2, within=10)
            elapsed = time.monotonic() - started
        events = [registry.decode(record.value, dict(record.headers)) for record in records]
        assert [event.type for event in events] == ["RotationCreated", "RotationCreated"]
        assert rotation_id in {str(event.payload.rotation_id) for event in events}
        assert elapsed < 5, f"publishing took {elapsed:.1f}s; the relay was not woken by the commit"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
    assert process.returncode == 0
    lines = service_process.json_log(log_path)
    accesses = [line for line in lines if "POST /v1/rotations" in line["message"]]
    assert len(accesses) == 2, accesses
    for access in accesses:
        assert access["logger"] == "uvicorn.access"
        assert len(access["trace_id"]) == 32  # logged inside the request's span
    assert [line["message"] for line in lines if line["logger"] == "oncall_platform.lifecycle"][-2:] == [
        "stopping",
        "stopped",
    ]
