"""`/healthz` and `/readyz`: liveness needs nothing; readiness needs the broker and the database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_platform.database import make_async_engine
from oncall_platform.probes import Pingable, ReadinessProbe, asgi_probe_routes


class FakeBroker:
    def __init__(self, answers: bool = True, delay: float = 0.0) -> None:
        self.answers = answers
        self.delay = delay

    async def ping(self, seconds: float | None, /) -> bool:
        await asyncio.sleep(self.delay)
        return self.answers


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_async_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture
async def unreachable_engine() -> AsyncIterator[AsyncEngine]:
    engine = make_async_engine("postgresql://probe:probe@127.0.0.1:1/none")  # nothing listens on port 1
    yield engine
    await engine.dispose()


def client(broker: Pingable, engine: AsyncEngine, timeout: float = 2.0) -> httpx.AsyncClient:
    app = AsgiFastStream(asgi_routes=asgi_probe_routes(broker, engine, timeout=timeout))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service.test")


async def test_ready_when_the_broker_and_the_database_answer(engine: AsyncEngine) -> None:
    async with client(FakeBroker(), engine) as http:
        live = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    assert ready.headers["content-type"] == "application/json"
    assert ready.json() == {"status": "ok", "checks": {"kafka": "ok", "database": "ok"}}


async def test_a_broker_that_does_not_answer_makes_the_service_unready_but_alive(
    engine: AsyncEngine,
) -> None:
    async with client(FakeBroker(answers=False), engine) as http:
        live = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "not_ready": ["kafka"],
        "checks": {"kafka": "unreachable", "database": "ok"},
    }


async def test_an_unreachable_database_makes_the_service_unready(unreachable_engine: AsyncEngine) -> None:
    async with client(FakeBroker(), unreachable_engine) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["not_ready"] == ["database"]


async def test_both_missing_are_both_named(unreachable_engine: AsyncEngine) -> None:
    readiness = await ReadinessProbe(FakeBroker(answers=False), unreachable_engine).check()
    assert not readiness.ready
    assert readiness.status_code == 503
    assert readiness.not_ready == ["kafka", "database"]


async def test_a_hanging_dependency_is_cut_off_at_the_timeout(engine: AsyncEngine) -> None:
    probe = ReadinessProbe(FakeBroker(delay=30.0), engine, timeout=0.2)
    started = time.monotonic()
    readiness = await probe.check()
    assert time.monotonic() - started < 2.0
    assert readiness.not_ready == ["kafka"]


async def test_a_broker_that_never_connected_is_not_ready(engine: AsyncEngine) -> None:
    broker = KafkaBroker("127.0.0.1:1")  # never started: faststream refuses the ping without I/O
    readiness = await ReadinessProbe(broker, engine, timeout=1.0).check()
    assert readiness.checks == {"kafka": False, "database": True}


async def test_only_get_and_head_are_served(engine: AsyncEngine) -> None:
    async with client(FakeBroker(), engine) as http:
        assert (await http.head("/readyz")).status_code == 200
        assert (await http.post("/readyz")).status_code == 405
