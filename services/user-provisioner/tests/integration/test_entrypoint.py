"""The `user-provisioner` console command: migrates, consumes, provisions, answers probes, stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_console_command_serves_probes_and_provisions(harness: Any, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": harness.servers,
        "KAFKA_TOPIC_PREFIX": harness.topics.prefix,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'provisioner.db'}",
        "PAGERDUTY_BASE_URL": harness.sim.base_url,
        "USER_PROVISIONER_PORT": str(port),
        "PROVISIONER_POLL_SECONDS": "0.2",
    }
    command = Path(sys.executable).parent / "user-provisioner"
    log = (tmp_path / "service.log").open("w+")
    process = await asyncio.create_subprocess_exec(
        str(command), env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        rotation = harness.new_rotation_id()
        await harness.publish(
            [harness.integration(rotation, "acme", harness.acme_key), *harness.members(rotation, 2)]
        )
        await harness.eventually(lambda: _users_are(harness, 2), 60, "two users created by the process")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:
            assert (await probe.get("/healthz")).json() == {"status": "ok"}
            ready = await probe.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"kafka": "ok", "database": "ok"}
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.wait_for(process.wait(), 30)
    log.seek(0)
    output = log.read()
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert exit_code in (0, -signal.SIGTERM), output[-2000:]
    assert "Application shutdown complete" in output
    assert harness.acme_key not in output


async def _users_are(harness: Any, count: int) -> bool:
    return len(harness.sim.users(harness.acme_key)) >= count
