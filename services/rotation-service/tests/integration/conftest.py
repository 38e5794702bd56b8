"""Fixtures of the rotation service's integration tests: real PostgreSQL, real Kafka, and the PagerDuty
simulator (API keys are checked against it when a rotation's sync is configured)."""

from __future__ import annotations

import base64
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from opentelemetry.sdk.trace import TracerProvider
from simulated_pagerduty import simulated_pagerduty
from sqlalchemy import select

from oncall_contracts import Envelope, registry
from oncall_contracts.topics import Topics
from oncall_testing.clock import FakeClock
from oncall_testing.eventually import eventually
from oncall_testing.kafka import read_records
from pagerduty_sim.testing import RunningSimulator
from rotation_service.adapters.migrations import SCHEMA
from rotation_service.bootstrap import Container, bootstrap
from rotation_service.entrypoints.api.auth import mint_token
from rotation_service.settings import RotationServiceSettings

JWT_SECRET = "integration-test-secret-0123456789abcdef"
JWT_AUDIENCE = "oncall-scheduler-tests"
JWT_ISSUER = "https://login.example.com"
CREDENTIAL_KEYS = "test1:" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def pagerduty() -> Iterator[RunningSimulator]:
    with simulated_pagerduty() as sim:
        yield sim


def make_settings(
    database_url: str, bootstrap_servers: str, topics: Topics, pagerduty: RunningSimulator | None = None
) -> RotationServiceSettings:
    return RotationServiceSettings(
        pagerduty_base_url=pagerduty.base_url if pagerduty else "http://127.0.0.1:9/pagerduty-not-here",
        pagerduty_eu_base_url=pagerduty.eu_base_url if pagerduty else "http://127.0.0.1:9/pagerduty-not-here",
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_topic_prefix=topics.prefix,
        jwt_secret=JWT_SECRET,  # type: ignore[arg-type]
        jwt_audience=JWT_AUDIENCE,
        jwt_issuer=JWT_ISSUER,
        credential_keys=CREDENTIAL_KEYS,  # type: ignore[arg-type]
        outbox_poll_interval_seconds=0.2,
    )


@pytest.fixture
def make_service_settings(pagerduty: RunningSimulator) -> Any:
    return functools.partial(make_settings, pagerduty=pagerduty)


@pytest.fixture
def kafka_servers(kafka_bootstrap_servers: str) -> str:
    """The broker the service under test uses; the outage tests override it with a private one."""
    return kafka_bootstrap_servers


@pytest.fixture
def settings(
    database_url: str, kafka_servers: str, topics: Topics, pagerduty: RunningSimulator
) -> RotationServiceSettings:
    return make_settings(database_url, kafka_servers, topics, pagerduty)


@pytest.fixture
async def container(
    settings: RotationServiceSettings, clock: FakeClock, tracer_provider: TracerProvider
) -> AsyncIterator[Container]:
    await SCHEMA.upgrade_async(settings.effective_database_url())
    built = bootstrap(settings, clock=clock, tracer_provider=tracer_provider)
    yield built
    await built.close()


@pytest.fixture
async def client(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=container.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://rotation-service.test") as http:
        yield http


def auth(email: str) -> dict[str, str]:
    token = mint_token(JWT_SECRET, email, audience=JWT_AUDIENCE, issuer=JWT_ISSUER)
    return {"Authorization": f"Bearer {token}"}


WEEKLY: dict[str, object] = {
    "name": "Platform",
    "time_zone": "Europe/London",
    "first_shift_start": "2026-12-07T09:00:00",
    "period": "P7D",
    "handoffs": ["P0D"],
    "coverage": None,
    "backup": False,
    "horizon_days": 60,
}


class Api:
    """Small helpers over the HTTP client, so tests read as user steps."""

    weekly = WEEKLY

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @staticmethod
    def auth(email: str) -> dict[str, str]:
        return auth(email)

    async def create_rotation(self, owner: str, **changes: object) -> dict[str, Any]:
        response = await self.client.post("/v1/rotations", json={**WEEKLY, **changes}, headers=auth(owner))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def add_member(self, rotation_id: object, owner: str, email: str) -> None:
        body = {"email": email, "name": email.split("@")[0].title(), "time_zone": "Europe/London"}
        response = await self.client.post(
            f"/v1/rotations/{rotation_id}/members", json=body, headers=auth(owner)
        )
        assert response.status_code == 201, response.text


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture
def read_events() -> Any:
    return read_records


Relayed = Callable[[], Awaitable[list[Envelope[Any]]]]


@pytest.fixture
def relayed(container: Container, topics: Topics, kafka_bootstrap_servers: str) -> Relayed:
    """Publish what the outbox holds, then read every event on the rotation topic so far (at least one)."""

    async def events() -> list[Envelope[Any]]:
        await container.relay.publish_pending()
        records = await read_records(kafka_bootstrap_servers, topics.rotation, at_least=1, within=5)
        return [registry.decode(record.value, dict(record.headers)) for record in records]

    return events


class OutboxLedger:
    """What the outbox holds, to compare with what reached Kafka."""

    def __init__(self, container: Container) -> None:
        self._container = container

    async def rows(self) -> list[tuple[str, bytes, bool]]:
        """(event id, key, published) in outbox order, parked rows left out."""
        from oncall_platform.outbox import OUTBOX

        async with self._container.sessions() as session:
            result = await session.execute(
                select(OUTBOX).where(OUTBOX.c.parked_at.is_(None)).order_by(OUTBOX.c.id)
            )
            return [(r.event_id, r.message_key, r.published_at is not None) for r in result]

    async def parked(self) -> list[tuple[str, str]]:
        """(event id, reason) of the rows Kafka refused for good."""
        from oncall_platform.outbox import OUTBOX

        async with self._container.sessions() as session:
            result = await session.execute(select(OUTBOX).where(OUTBOX.c.parked_at.is_not(None)))
            return [(r.event_id, r.park_reason) for r in result]

    async def unpublished(self) -> int:
        return sum(1 for _, _, published in await self.rows() if not published)

    async def wait_until_published(self, within: float) -> None:
        # Polling: the relay may run in another process, so there is nothing in-process to wait on.
        async def all_published() -> bool:
            return await self.unpublished() == 0

        await eventually(all_published, within=within, what="every outbox row published")

    async def assert_delivered_in_order(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Every outbox event reached Kafka (duplicates allowed), each rotation's in outbox order."""
        from oncall_contracts import registry

        expected: dict[bytes, list[str]] = {}
        for event_id, key, _ in await self.rows():
            expected.setdefault(key, []).append(event_id)
        seen: dict[bytes, list[str]] = {}
        for record in records:
            event_id = str(registry.decode(record.value or b"", dict(record.headers)).event_id)
            first_seen = seen.setdefault(record.key or b"", [])
            if event_id not in first_seen:
                first_seen.append(event_id)  # a re-sent duplicate is harmless: consumers drop it by id
        assert seen == expected


@pytest.fixture
def ledger(container: Container) -> OutboxLedger:
    return OutboxLedger(container)
