"""The probes every service serves: `/healthz` (liveness) and `/readyz` (readiness).

Liveness only says the process answers HTTP; restarting it cannot fix a broker or database outage, so
those belong to readiness alone. Readiness pings the Kafka broker and runs `SELECT 1` on the service's
database, concurrently and each within `timeout` seconds: 200 when both answer, 503 naming what did not.

`ReadinessProbe` knows nothing of HTTP; `asgi_probe_routes` serves it on a faststream `AsgiFastStream`,
and a FastAPI service serves the same `Readiness.body()` and `status_code` from its own route.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from faststream.asgi import AsgiResponse, get
from faststream.asgi.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_platform.metrics import METRICS_PATH, HttpMetrics

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"
DEFAULT_TIMEOUT_SECONDS = 2.0
# What an HTTP app leaves out of its traces (OpenTelemetry's `excluded_urls`): the scrapes and probes.
UNTRACED_URLS = f"{LIVENESS_PATH},{READINESS_PATH},{METRICS_PATH}"

logger = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]


class Pingable(Protocol):
    """A faststream broker, as far as readiness is concerned."""

    async def ping(self, seconds: float | None, /) -> bool: ...


class NotReady(Exception):
    """A dependency answered, but not with what readiness needs."""


@dataclass(frozen=True)
class Readiness:
    """The outcome of one readiness check: which dependencies answered and which did not."""

    checks: Mapping[str, bool]

    @property
    def ready(self) -> bool:
        return all(self.checks.values())

    @property
    def not_ready(self) -> list[str]:
        return [name for name, answered in self.checks.items() if not answered]

    @property
    def status_code(self) -> int:
        return 200 if self.ready else 503

    def body(self) -> dict[str, Any]:
        """`{"status": "ok", "checks": {...}}`, or `"unavailable"` plus the names in `not_ready`."""
        checks = {name: "ok" if answered else "unreachable" for name, answered in self.checks.items()}
        if self.ready:
            return {"status": "ok", "checks": checks}
        return {"status": "unavailable", "not_ready": self.not_ready, "checks": checks}


def liveness_body() -> dict[str, str]:
    return {"status": "ok"}


class ReadinessProbe:
    """Checks that the Kafka broker and the database answer, each within `timeout` seconds."""

    def __init__(
        self, broker: Pingable, engine: AsyncEngine, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self._timeout = timeout
        self._checks: dict[str, Check] = {
            "kafka": lambda: _ping(broker, within=timeout),
            "database": lambda: _select_one(engine),
        }

    async def check(self) -> Readiness:
        names = list(self._checks)
        answers = await asyncio.gather(*(self._answers(name) for name in names))
        return Readiness(dict(zip(names, answers, strict=True)))

    async def _answers(self, name: str) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                await self._checks[name]()
        except TimeoutError:
            logger.warning("readiness: %s did not answer within %.1f s", name, self._timeout)
            return False
        except Exception as error:  # any failure means "not ready"; the reason goes to the log only
            logger.warning("readiness: %s is not ready: %s", name, _describe(error))
            return False
        return True


async def _ping(broker: Pingable, *, within: float) -> None:
    if not await broker.ping(within):
        raise NotReady("the broker did not answer a ping (not connected, or unreachable)")


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def asgi_probe_routes(
    broker: Pingable, engine: AsyncEngine, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> list[tuple[str, ASGIApp]]:
    """`asgi_routes` for a faststream `AsgiFastStream`: `/healthz` and `/readyz` on `broker` and `engine`."""
    probe = ReadinessProbe(broker, engine, timeout=timeout)

    @get(include_in_schema=False)
    async def healthz(scope: Scope) -> AsgiResponse:
        return _json(liveness_body(), 200)

    @get(include_in_schema=False)
    async def readyz(scope: Scope) -> AsgiResponse:
        readiness = await probe.check()
        return _json(readiness.body(), readiness.status_code)

    return [(LIVENESS_PATH, healthz), (READINESS_PATH, readyz)]


def probe_app(broker: Pingable, engine: AsyncEngine, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> ASGIApp:
    """An ASGI app that serves only `/healthz`, `/readyz` and `/metrics` (for a service without an API
    of its own)."""
    routes = dict(asgi_probe_routes(broker, engine, timeout=timeout))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        route = routes.get(scope["path"])
        if route is None:
            await _json({"detail": "Not Found"}, 404)(scope, receive, send)
            return
        await route(scope, receive, send)

    return HttpMetrics(app, known_paths=routes)


def _json(body: Mapping[str, Any], status_code: int) -> AsgiResponse:
    return AsgiResponse(json.dumps(body).encode(), status_code, {"Content-Type": "application/json"})
