"""Run the simulator inside a test: `with run_simulator(["acme:KEY"]) as sim: ...`.

The server runs on 127.0.0.1 on a free port in a background thread, so the context manager works
in sync and async tests alike (the simulator's event loop is its own). Helpers talk to the `/_sim/`
controls over HTTP and never count against the rate limit or appear in the request log.
"""

from __future__ import annotations

import functools
import ssl
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from pagerduty_sim.config import parse_account, with_owners, with_read_only_keys
from pagerduty_sim.http.app import create_app
from pagerduty_sim.http.gateway import EU_PREFIX
from pagerduty_sim.model.account import AccountConfig
from pagerduty_sim.openapi import load_document
from pagerduty_sim.persistence import open_saver
from pagerduty_sim.rendering import DstReading
from pagerduty_sim.simulator import Simulator, SimulatorConfig
from pagerduty_sim.timeutil import InvalidTimeError, parse_instant, zone
from pagerduty_sim.tls import client_context, write_self_signed_certificate

FinalEntry = tuple[datetime, datetime, str]


class RunningSimulator:
    """A started simulator: `base_url` for clients, and helpers for the test controls."""

    def __init__(self, base_url: str, simulator: Simulator, cert_path: Path | None = None) -> None:
        self.base_url = base_url
        self.simulator = simulator
        self.cert_path = cert_path
        self._http = httpx.Client(base_url=base_url, timeout=10, verify=self.verify)

    @property
    def eu_base_url(self) -> str:
        """The EU service region's API root (the stand-in for https://api.eu.pagerduty.com)."""
        return self.base_url + EU_PREFIX

    @property
    def verify(self) -> ssl.SSLContext:
        """What to pass as `verify=` to httpx-style clients: trusts the simulator's certificate under TLS.

        Over plain HTTP it is one default context for the process: httpx loads the CA bundle for every
        client given `verify=True`, which cost tests more than the requests they made."""
        return client_context(self.cert_path) if self.cert_path else _default_context()

    def set_clock(self, now: datetime | str, frozen: bool = False) -> datetime:
        """Move the simulator's clock to `now` (aware datetime or ISO string); returns the new now."""
        text = now.isoformat() if isinstance(now, datetime) else now
        return self._clock({"now": text, "frozen": frozen})

    def advance(self, seconds: float) -> datetime:
        return self._clock({"advance_seconds": seconds})

    def now(self) -> datetime:
        return _instant(self._ok(self._http.get("/_sim/clock"))["now"])

    def faults(self, **settings: Any) -> None:
        """Replace the injected faults, e.g. `faults(error_rate=0.5, latency_ms=100, seed=1)`;
        `faults()` clears them. Fields: see `pagerduty_sim.http.faults.Faults`."""
        self._ok(self._http.post("/_sim/faults", json=settings))

    def requests(self) -> list[dict[str, Any]]:
        """Requests served on PagerDuty paths: time, method, path, query, status, account, body."""
        entries: list[dict[str, Any]] = self._ok(self._http.get("/_sim/requests"))["requests"]
        return entries

    def reset(self) -> None:
        self._ok(self._http.post("/_sim/reset"))

    def final_schedule(
        self, api_key: str, schedule_id: str, since: datetime, until: datetime
    ) -> list[FinalEntry]:
        """The final schedule over [since, until): (start, end, user_id), UTC, cut at the window,
        consecutive entries of one user merged, gaps omitted."""
        params = {"since": since.isoformat(), "until": until.isoformat()}
        body = self._ok(
            self._http.get(f"/_sim/schedules/{schedule_id}/final", params=params, headers=_auth(api_key))
        )
        return [(_instant(e["start"]), _instant(e["end"]), e["user_id"]) for e in body["entries"]]

    def writes(
        self, api_key: str, schedule_id: str, after_revision: int | None = None
    ) -> list[dict[str, Any]]:
        """The writes applied to the schedule: `{revision, applied_at, monotonic, operation}`, oldest
        first (`applied_at`: steady wall seconds; `monotonic`: this host's `time.monotonic()`)."""
        params = {} if after_revision is None else {"after_revision": str(after_revision)}
        writes: list[dict[str, Any]] = self._ok(
            self._http.get(f"/_sim/schedules/{schedule_id}/writes", params=params, headers=_auth(api_key))
        )["writes"]
        return writes

    def users(self, api_key: str) -> list[dict[str, str]]:
        """Every user of the key's account as `{id, name, email}`, in creation order."""
        users: list[dict[str, str]] = self._ok(self._http.get("/_sim/users", headers=_auth(api_key)))["users"]
        return users

    def close(self) -> None:
        self._http.close()

    def _clock(self, body: dict[str, Any]) -> datetime:
        return _instant(self._ok(self._http.post("/_sim/clock", json=body))["now"])

    @staticmethod
    def _ok(response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json() if response.content else None


def daily_layer(users: list[str], name: str, **fields: Any) -> dict[str, Any]:
    """A request body's schedule layer: `users` take one-day turns from 2024-01-01 UTC; `fields`
    add to it or replace its values."""
    return {
        "name": name,
        "start": "2024-01-01T00:00:00Z",
        "rotation_virtual_start": "2024-01-01T00:00:00Z",
        "rotation_turn_length_seconds": 86400,
        "users": [{"user": {"id": uid, "type": "user_reference"}} for uid in users],
        **fields,
    }


@contextmanager
def run_simulator(
    accounts: Iterable[str | AccountConfig] = ("acme:test-key",),
    *,
    read_only_keys: Iterable[str] = (),
    owners: Iterable[str] = (),
    dst: DstReading | str = DstReading.FIXED,
    strict_from: bool = False,
    validate_requests: bool = True,
    tls: bool = False,
    state_file: Path | None = None,
    fresh: bool = False,
) -> Iterator[RunningSimulator]:
    """Start a simulator for the duration of the block.

    `accounts` are `SUBDOMAIN:API_KEY[:REGION]` strings or AccountConfig; `read_only_keys` are
    `SUBDOMAIN:KEY`; `owners` are `SUBDOMAIN:EMAIL` (the account's owner user). EU accounts answer
    under `eu_base_url` only, US accounts under `base_url`.
    Request bodies are validated against the OpenAPI document when it is found.
    With `tls=True` the server speaks HTTPS with a fresh self-signed certificate (`cert_path`,
    `verify`), for clients that accept only https:// base URLs. Nothing persists unless a
    `state_file` is given: then it is loaded (unless `fresh`) and saved as by `pagerduty-sim
    --state-file`, last when the block ends.
    """
    configs = [item if isinstance(item, AccountConfig) else parse_account(item) for item in accounts]
    configs = with_owners(with_read_only_keys(configs, list(read_only_keys)), list(owners))
    config = SimulatorConfig(tuple(configs), DstReading(dst), strict_from)
    simulator = Simulator(config)
    saver = open_saver(simulator, state_file, fresh=fresh) if state_file else None
    app = create_app(simulator, load_document() if validate_requests else None, saver)
    with tempfile.TemporaryDirectory(prefix="pagerduty-sim-") as scratch:
        cert_path, key_path = write_self_signed_certificate(Path(scratch)) if tls else (None, None)
        # Port 0: the OS picks a free port; it is read back from the started server.
        server_config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="error",
            lifespan="on" if saver else "off",
            ssl_certfile=cert_path, ssl_keyfile=key_path, timeout_graceful_shutdown=1,
        )  # fmt: skip
        server = uvicorn.Server(server_config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            _wait_until_started(server, thread)
            port = server.servers[0].sockets[0].getsockname()[1]
            scheme = "https" if tls else "http"
            running = RunningSimulator(f"{scheme}://127.0.0.1:{port}", simulator, cert_path)
            try:
                yield running
            finally:
                running.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@functools.cache
def _default_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("pagerduty-sim did not start")
        time.sleep(0.01)


def _auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Token token={api_key}"}


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text, zone("UTC"))
    except InvalidTimeError as error:
        raise ValueError(str(error)) from error
