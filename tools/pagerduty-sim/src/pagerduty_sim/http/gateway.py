"""ASGI middleware in front of the PagerDuty paths: faults, authentication, rate limit, request log."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pagerduty_sim.errors import ApiError, access_denied, authentication_failed, rate_limited
from pagerduty_sim.http.faults import FaultKind, Faults
from pagerduty_sim.model.account import Region
from pagerduty_sim.ratelimit import RateDecision, RateLimiter
from pagerduty_sim.simulator import Caller, Simulator
from pagerduty_sim.timeutil import format_utc

CONTROL_PREFIX = "/_sim"
# The EU service region's API (api.eu.pagerduty.com) is served under this path; the root is the US one.
EU_PREFIX = "/eu"
_READS = ("GET", "HEAD")
_TOKEN = re.compile(r"^Token token=(\S+)$")


class DroppedConnection(Exception):
    """Raised after the response has started, so the server closes the connection mid-response."""


@dataclass
class ControlState:
    """What the /_sim/ controls change besides the simulator itself."""

    faults: Faults = field(default_factory=Faults)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    requests: list[dict[str, Any]] = field(default_factory=list)


class Gateway:
    """Everything PagerDuty does before a request reaches an operation."""

    def __init__(self, app: ASGIApp, sim: Simulator, control: ControlState) -> None:
        self.app, self.sim, self.control = app, sim, control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._handle(scope, receive, send)
        finally:
            if scope["method"] not in _READS:
                self.sim.writes += 1  # counted once the operation is done, so a snapshot now holds it

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        scope = _in_region(scope)
        record: dict[str, Any] = {
            "time": format_utc(self.sim.clock.now()),
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": None,
            "account": None,
        }
        self.control.requests.append(record)
        body = await _read_body(receive)
        record["body"] = _json_or_none(body)
        await self._serve(scope, _replay(body, receive), send, record)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, record: dict[str, Any]) -> None:
        fault = self.control.faults.draw(scope["path"], scope["method"])
        if self.control.faults.latency_ms > 0:
            await asyncio.sleep(self.control.faults.latency_ms / 1000)
        if fault is FaultKind.DROP:
            record["status"] = "dropped"
            await _drop_connection(send)
        caller = self._caller(scope)
        if caller is None:
            await _send_error(send, authentication_failed(), record)
            return
        record["account"] = caller.account.config.subdomain
        decision = self.control.limiter.check(_key(scope) or "", self.sim.clock.now())
        headers = _rate_headers(decision)
        if not decision.allowed:
            await _send_error(send, rate_limited(), record, headers)
        elif fault is FaultKind.RATE_LIMIT:
            await _send_error(send, rate_limited(), record)
        elif fault is FaultKind.SERVER_ERROR:
            await _send_error(send, ApiError(500, 2000, "Internal Server Error"), record, headers)
        elif caller.read_only and scope["method"] not in ("GET", "HEAD"):
            await _send_error(send, access_denied("Access Denied: read-only API key"), record, headers)
        elif fault is FaultKind.LOSE_ANSWER:
            scope.setdefault("state", {})["caller"] = caller
            await self.app(scope, receive, _discarded)
            record["status"] = "answer lost"
            await _drop_connection(send)
        else:
            scope.setdefault("state", {})["caller"] = caller
            await self.app(scope, receive, _with_headers(send, headers, record))

    def _caller(self, scope: Scope) -> Caller | None:
        key = _key(scope)
        return None if key is None else self.sim.caller_for_key(key, scope["state"]["region"])


def _in_region(scope: Scope) -> Scope:
    """The request with its region in `state` and the region's path prefix removed."""
    path: str = scope["path"]
    region = Region.US
    if path == EU_PREFIX or path.startswith(EU_PREFIX + "/"):
        region, path = Region.EU, path[len(EU_PREFIX) :] or "/"
    return {
        **scope,
        "path": path,
        "raw_path": path.encode(),
        "state": {**scope.get("state", {}), "region": region},
    }


async def _drop_connection(send: Send) -> NoReturn:
    """Start an answer and cut the connection: the caller sees a transport error, not a status."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise DroppedConnection("fault injection: connection dropped")


async def _discarded(message: Message) -> None:
    """The answer of a request whose connection is cut before it reaches the caller."""


def _key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            match = _TOKEN.match(value.decode("latin-1").strip())
            return match.group(1) if match else None
    return None


def _rate_headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(decision.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(decision.reset_seconds).encode()),
    ]


def _with_headers(send: Send, headers: list[tuple[bytes, bytes]], record: dict[str, Any]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *headers]}
            record["status"] = message["status"]
        await send(message)

    return sending


async def _send_error(
    send: Send, error: ApiError, record: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(error.body()).encode()
    record["status"] = error.status
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send(
        {"type": "http.response.start", "status": error.status, "headers": response_headers + (headers or [])}
    )
    await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """Hand the already-read body to the app once, then pass through (e.g. disconnect messages)."""
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return await original()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None
