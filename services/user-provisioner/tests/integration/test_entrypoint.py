"""The `user-provisioner` console command: migrates, consumes, provisions, answers probes, logs JSON,
and on SIGTERM lets the PagerDuty write in flight finish before it stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from oncall_contracts import PagerDutyUserProvisioned
from oncall_testing import service_process

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(harness: Any, tmp_path: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": harness.servers,
        "KAFKA_TOPIC_PREFIX": harness.topics.prefix,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'provisioner.db'}",
        "PAGERDUTY_BASE_URL": harness.sim.base_url,
        "USER_PROVISIONER_PORT": str(port),
        "PROVISIONER_POLL_SECONDS": "0.2",
    }


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=40)


async def test_the_console_command_serves_probes_provisions_and_logs_json(
    harness: Any, tmp_path: Path
) -> None:
    port = _free_port()
    env = _environment(harness, tmp_path, port)
    service_process.migrate("user-provisioner", env)
    log_path = tmp_path / "service.log"
    with log_path.open("w") as log:
        process = service_process.serve("user-provisioner", env, log)
        try:
            rotation = harness.new_rotation_id()
            await harness.publish(
                [harness.integration(rotation, "acme", harness.acme_key), *harness.members(rotation, 2)]
            )
            await harness.eventually(lambda: _users_are(harness, 2), 90, "two users created by the process")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:
                assert (await probe.get("/healthz")).json() == {"status": "ok"}
                ready = await probe.get("/readyz")
                assert ready.status_code == 200, ready.text
                assert ready.json()["checks"] == {"kafka": "ok", "database": "ok"}
        finally:
            exit_code = _stop(process)
    output = log_path.read_text()
    assert exit_code == 0, output[-2000:]
    assert harness.acme_key not in output
    lines = service_process.json_log(log_path)
    assert lines[-1]["message"] == "stopped"
    assert {line["service"] for line in lines} == {"user-provisioner"}


async def test_sigterm_lets_the_pagerduty_write_in_flight_finish(harness: Any, tmp_path: Path) -> None:
    port = _free_port()
    env = _environment(harness, tmp_path, port)
    service_process.migrate("user-provisioner", env)
    log_path = tmp_path / "service.log"
    with log_path.open("w") as log:
        process = service_process.serve("user-provisioner", env, log)
        try:
            harness.sim.faults(latency_ms=3000)  # every PagerDuty answer takes 3 s
            rotation = harness.new_rotation_id()
            await harness.publish(
                [harness.integration(rotation, "acme", harness.acme_key), *harness.members(rotation, 1)]
            )
            await harness.eventually(lambda: _user_creation_started(harness), 90, "POST /users sent")
        finally:
            exit_code = _stop(process)  # while PagerDuty is still answering the POST
    assert exit_code == 0, log_path.read_text()[-2000:]
    assert harness.user_emails(harness.acme_key) == ["person000@example.com"]
    provisioned = [
        e.payload for e in await harness.results() if isinstance(e.payload, PagerDutyUserProvisioned)
    ]
    assert [event.email for event in provisioned] == ["person000@example.com"], "the write went unreported"
    assert service_process.json_log(log_path)[-1]["message"] == "stopped"


async def _users_are(harness: Any, count: int) -> bool:
    return len(harness.people(harness.acme_key)) >= count


async def _user_creation_started(harness: Any) -> bool:
    return any(
        request["method"] == "POST" and request["path"] == "/users" for request in harness.sim.requests()
    )
