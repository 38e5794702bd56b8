"""The simulator keeps its data across restarts when given a state file, and only then."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from oncall_testing.eventually import eventually_sync
from pagerduty_sim.testing import run_simulator

KEY = "persist-key"
BIN = Path(sys.executable).parent / "pagerduty-sim"
SINCE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
UNTIL = SINCE + timedelta(days=14)
WINDOW = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
# One context for every client here: httpx loads the CA bundle for each client given `verify=True`, and
# waiting for a command to answer makes a client every 50 ms.
VERIFY = ssl.create_default_context()


def _user(http: httpx.Client, name: str) -> str:
    body = {"user": {"type": "user", "name": name, "email": f"{name}@example.com"}}
    response = http.post("/users", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["user"]["id"])


def _layer(users: list[str], turn_hours: int, **extra: Any) -> dict[str, Any]:
    return {
        "start": (SINCE - timedelta(days=7)).isoformat(),
        "rotation_virtual_start": (SINCE - timedelta(days=7)).isoformat(),
        "rotation_turn_length_seconds": turn_hours * 3600,
        "users": [{"user": {"id": uid, "type": "user_reference"}} for uid in users],
        **extra,
    }


def _build_state(http: httpx.Client) -> dict[str, Any]:
    """Users, a schedule with two layers (one restricted), a second layer version, an override."""
    alice, bob, carol = _user(http, "alice"), _user(http, "bob"), _user(http, "carol")
    weekdays = {"type": "daily_restriction", "start_time_of_day": "08:00:00", "duration_seconds": 36000}
    schedule = {
        "type": "schedule",
        "name": "Ops",
        "time_zone": "Europe/London",
        "schedule_layers": [_layer([alice, bob], 24), _layer([carol], 12, restrictions=[weekdays])],
    }
    created = http.post("/schedules", json={"schedule": schedule})
    assert created.status_code == 201, created.text
    schedule_id = created.json()["schedule"]["id"]
    layers = created.json()["schedule"]["schedule_layers"]
    layers[0]["users"] = [{"user": {"id": uid, "type": "user_reference"}} for uid in (bob, alice, carol)]
    body = {"schedule": {**schedule, "schedule_layers": layers}}
    updated = http.put(f"/schedules/{schedule_id}", json=body)
    assert updated.status_code == 200, updated.text
    override = {
        "start": (SINCE + timedelta(days=5)).isoformat(),
        "end": (SINCE + timedelta(days=6)).isoformat(),
        "user": {"id": carol, "type": "user_reference"},
    }
    posted = http.post(f"/schedules/{schedule_id}/overrides", json={"overrides": [override]})
    assert posted.status_code == 201, posted.text
    return {"schedule_id": schedule_id, **_observe(http, schedule_id)}


def _observe(http: httpx.Client, schedule_id: str) -> dict[str, Any]:
    """What a client sees: users, the schedule with its rendered layers and final schedule, overrides."""
    users = http.get("/users").json()["users"]
    schedule = http.get(f"/schedules/{schedule_id}", params=WINDOW).json()["schedule"]
    overrides = http.get(f"/schedules/{schedule_id}/overrides", params=WINDOW).json()["overrides"]
    return {"users": users, "schedule": schedule, "overrides": overrides}


def test_in_process_state_survives_a_restart_and_fresh_starts_empty(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with run_simulator([f"acme:{KEY}"], state_file=state) as sim, _client(sim.base_url) as http:
        before = _build_state(http)
        final_before = sim.final_schedule(KEY, before["schedule_id"], SINCE, UNTIL)
    assert len(final_before) > 10

    with run_simulator([f"acme:{KEY}"], state_file=state) as sim, _client(sim.base_url) as http:
        after = _observe(http, before["schedule_id"])
        assert after == {k: v for k, v in before.items() if k != "schedule_id"}
        assert sim.final_schedule(KEY, before["schedule_id"], SINCE, UNTIL) == final_before
        newcomer = _user(http, "dave")  # ids issued before the restart are never issued again
        assert newcomer not in {u["id"] for u in before["users"]}
        assert newcomer not in {layer["id"] for layer in before["schedule"]["schedule_layers"]}

    with run_simulator([f"acme:{KEY}"], state_file=state, fresh=True) as sim, _client(sim.base_url) as http:
        assert http.get("/users").json()["users"] == []
        assert http.get("/schedules").json()["schedules"] == []
    with run_simulator([f"acme:{KEY}"], state_file=state) as sim, _client(sim.base_url) as http:
        assert http.get("/users").json()["users"] == []  # the fresh start replaced the old data for good


def test_without_a_state_file_nothing_persists(tmp_path: Path) -> None:
    with run_simulator([f"acme:{KEY}"]) as sim, _client(sim.base_url) as http:
        _user(http, "alice")
    with run_simulator([f"acme:{KEY}"]) as sim, _client(sim.base_url) as http:
        assert http.get("/users").json()["users"] == []
    assert list(tmp_path.iterdir()) == []


def test_accounts_not_configured_are_kept_and_a_key_may_change(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    accounts = ["acme:old-key", "other:other-key"]
    with (
        run_simulator(accounts, state_file=state) as sim,
        _client(sim.base_url, "old-key") as acme,
        _client(sim.base_url, "other-key") as other,
    ):
        alice, olga = _user(acme, "alice"), _user(other, "olga")
    with run_simulator(["acme:new-key"], state_file=state) as sim, _client(sim.base_url, "new-key") as acme:
        assert [u["id"] for u in acme.get("/users").json()["users"]] == [alice]
        _user(acme, "bob")
    with (
        run_simulator(["acme:new-key", "other:other-key"], state_file=state) as sim,
        _client(sim.base_url, "other-key") as other,
    ):
        assert [u["id"] for u in other.get("/users").json()["users"]] == [olga]


def test_the_command_saves_soon_after_a_write_and_at_shutdown(tmp_path: Path) -> None:
    state = tmp_path / "run" / "state.json"
    with _command(state) as base_url, _client(base_url) as http:
        erin = _user(http, "erin")
        _wait_until(lambda: state.exists() and erin in state.read_text())  # saved while running
        before = _build_state(http)  # saved at shutdown (SIGTERM), if not before
    with _command(state) as base_url, _client(base_url) as http:
        after = _observe(http, before["schedule_id"])
        assert after == {k: v for k, v in before.items() if k != "schedule_id"}
        assert erin in {u["id"] for u in after["users"]}
    with _command(state, "--fresh") as base_url, _client(base_url) as http:
        assert http.get("/users").json()["users"] == []


def test_the_command_refuses_a_state_file_it_cannot_read(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"format": 1, "accounts": ')
    result = subprocess.run(
        [str(BIN), "--port", str(_free_port()), "--account", f"acme:{KEY}", "--state-file", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "cannot be read back" in result.stderr
    assert "--fresh" in result.stderr
    assert state.read_text() == '{"format": 1, "accounts": '  # nothing is lost


@contextmanager
def _client(base_url: str, key: str = KEY) -> Iterator[httpx.Client]:
    headers = {
        "Authorization": f"Token token={key}",
        "Accept": "application/vnd.pagerduty+json;version=2",
        "From": "admin@example.com",
    }
    with httpx.Client(base_url=base_url, headers=headers, timeout=10, verify=VERIFY) as http:
        yield http


@contextmanager
def _command(state: Path, *extra: str) -> Iterator[str]:
    """`pagerduty-sim --state-file` as its own process, stopped with SIGTERM like `make run` does."""
    port = _free_port()
    argv = [str(BIN), "--port", str(port), "--account", f"acme:{KEY}", "--state-file", str(state), *extra]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: process.poll() is not None or _answers(base_url + "/_sim/clock"), timeout_s=30)
        assert process.poll() is None, process.communicate()[1]
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    # uvicorn re-raises the signal after its graceful shutdown (the lifespan's last save included)
    assert process.returncode in (0, -signal.SIGTERM), stderr
    _assert_json_lines(stderr)


def _assert_json_lines(log: str) -> None:
    """Every line the command logs is a JSON object, like the services' logs in `make run`."""
    for line in filter(None, log.splitlines()):
        try:
            assert isinstance(json.loads(line), dict), line
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1, verify=VERIFY).is_success
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(condition: Any, timeout_s: float = 10.0) -> None:
    eventually_sync(condition, within=timeout_s, what="the condition", interval=0.05)


def test_snapshot_is_plain_json_of_the_data(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with run_simulator([f"acme:{KEY}"], state_file=state) as sim, _client(sim.base_url) as http:
        _build_state(http)
    snapshot = json.loads(state.read_text())
    account = snapshot["accounts"]["acme"]
    assert [u["name"] for u in account["users"]] == ["alice", "bob", "carol"]
    (schedule,) = account["schedules"]
    assert [len(layer["versions"]) for layer in schedule["layers"]] == [2, 2]  # the PUT re-sent both
    assert len(schedule["overrides"]) == 1
    assert KEY not in state.read_text()  # keys come from the command line, never from the file
