"""`oncall-web serve` runs on the platform's lifecycle: it serves, logs only JSON lines, and stops on
SIGTERM with exit code 0 after the requests in flight."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from oncall_testing import service_process
from oncall_testing.eventually import eventually_sync
from oncall_testing.kafka import free_port

pytestmark = pytest.mark.integration


def test_serve_answers_probes_logs_json_and_stops_on_sigterm(tmp_path: Path) -> None:
    port, unreachable_api = free_port(), free_port()
    env = {
        **os.environ,
        "ENVIRONMENT": "development",
        "WEB_PORT": str(port),
        "ROTATION_API_URL": f"http://127.0.0.1:{unreachable_api}",
        "SHUTDOWN_GRACE_SECONDS": "5",
    }
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "web.log"
    with log_path.open("w") as log:
        process = service_process.serve("oncall-web", env, log)
        try:

            def healthy_or_exited() -> bool:
                exited = process.poll() is not None
                return exited or httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200

            eventually_sync(healthy_or_exited, within=120, what="oncall-web to answer /healthz")
            assert process.poll() is None, "oncall-web serve exited early"
            readiness = httpx.get(f"{base_url}/readyz", timeout=5)
            assert readiness.status_code == 503
            assert readiness.json()["checks"] == {"rotation-api": "unreachable"}
        finally:
            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=30)
    assert returncode == 0

    lines = service_process.json_log(log_path)
    messages = [line["message"] for line in lines if line.get("logger") == "oncall_platform.lifecycle"]
    assert messages[0] == "started"
    assert messages[-1] == "stopped"
    assert "stopping" in messages
    assert {line["service"] for line in lines} == {"oncall-web"}
    assert any("/healthz" in line["message"] for line in lines if line["logger"].startswith("uvicorn"))
