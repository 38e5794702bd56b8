"""A harness for the provisioner on the real broker and database, against the PagerDuty simulator."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from faststream.kafka import KafkaBroker

from oncall_contracts import (
    CredentialSealer,
    Envelope,
    IntegrationConfigured,
    MemberAdded,
    PagerDutyAccount,
    Payload,
    Topics,
    registry,
)
from oncall_platform import lifecycle
from oncall_platform.settings import DEVELOPMENT_CREDENTIAL_KEYS
from oncall_testing.eventually import eventually
from oncall_testing.kafka import publish_event, read_to_end
from pagerduty_sim.testing import RunningSimulator, run_simulator
from user_provisioner.bootstrap import Provisioner, bootstrap
from user_provisioner.migrate import SCHEMA
from user_provisioner.service_layer.worker import WorkerOptions
from user_provisioner.settings import ProvisionerSettings

ACME_KEY = "acme-Secret-Key-0001"
GLOBEX_KEY = "globex-Secret-Key-0002"
ACCOUNTS = [f"acme:{ACME_KEY}", f"globex:{GLOBEX_KEY}"]
OWNERS = {"acme": "owner@acme.example.com", "globex": "owner@globex.example.com"}


@pytest.fixture
def simulator() -> Iterator[RunningSimulator]:
    # Every PagerDuty account has its owner: the key check reads the subdomain off a user's html_url.
    with run_simulator(ACCOUNTS, owners=[f"{account}:{email}" for account, email in OWNERS.items()]) as sim:
        yield sim


class Harness:
    """Publishes rotation events, runs provisioner replicas, and reads the PagerDuty stream."""

    acme_key = ACME_KEY
    globex_key = GLOBEX_KEY

    def __init__(self, topics: Topics, servers: str, database_url: str, sim: RunningSimulator) -> None:
        self.topics = topics
        self.servers = servers
        self.database_url = database_url
        self.sim = sim
        self.sealer = CredentialSealer.from_env_value(DEVELOPMENT_CREDENTIAL_KEYS)
        self._producer: KafkaBroker | None = None

    def settings(self, **overrides: Any) -> ProvisionerSettings:
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": self.servers,
            "kafka_topic_prefix": self.topics.prefix,
            "database_url": self.database_url,
            "pagerduty_base_url": self.sim.base_url,
            "pagerduty_eu_base_url": self.sim.eu_base_url,
            "pagerduty_budget_share": 1.0,
            "provisioner_poll_seconds": 0.2,
        }
        return ProvisionerSettings(**{**values, **overrides})

    @asynccontextmanager
    async def replica(self, **kwargs: Any) -> AsyncIterator[Provisioner]:
        options = kwargs.pop(
            "worker_options", WorkerOptions(poll_interval=0.2, base_backoff=0.2, max_backoff=2.0)
        )
        settings = self.settings(**kwargs.pop("settings_overrides", {}))
        provisioner = bootstrap(settings, worker_options=options, **kwargs)
        async with lifecycle.running(provisioner.parts(), settings.shutdown_grace_seconds):
            yield provisioner

    def integration(
        self, rotation_id: str, subdomain: str, api_key: str, revision: int = 1
    ) -> IntegrationConfigured:
        account = PagerDutyAccount(subdomain=subdomain, region="us")
        return IntegrationConfigured(
            rotation_id=rotation_id,
            rotation_name="Platform",
            mode="own",
            target_rotation_id=rotation_id,
            schedule_name="Platform",
            account=account,
            credential=self.sealer.seal(api_key, account.key),
            time_zone="Europe/Berlin",
            schedule_time_zone="Europe/Berlin",
            revision=revision,
        )

    @staticmethod
    def members(rotation_id: str, count: int, domain: str = "example.com") -> list[MemberAdded]:
        return [
            MemberAdded(
                rotation_id=rotation_id,
                email=f"person{i:03d}@{domain}",
                name=f"Person {i}",
                time_zone="Europe/Berlin",
            )
            for i in range(count)
        ]

    async def publish(self, payloads: list[Payload]) -> list[Envelope[Any]]:
        envelopes = [Envelope.new(payload, producer="test") for payload in payloads]
        await self.publish_envelopes(envelopes)
        return envelopes

    async def publish_envelopes(self, envelopes: list[Envelope[Any]]) -> None:
        producer = await self._started_producer()
        for envelope in envelopes:
            await publish_event(producer, self.topics, envelope)

    async def publish_raw(self, value: bytes, key: bytes) -> None:
        producer = await self._started_producer()
        await producer.publish(value, topic=self.topics.rotation, key=key)

    async def read_all(self, topic: str) -> list[tuple[dict[str, str], bytes]]:
        """Every message on `topic` (headers, value), read from the beginning of each partition."""
        return [
            ({name: value.decode() for name, value in record.headers}, record.value or b"")
            for record in await read_to_end(self.servers, topic)
        ]

    async def results(self) -> list[Envelope[Any]]:
        """Every event on the PagerDuty stream so far."""
        return [
            registry.decode(value, headers) for headers, value in await self.read_all(self.topics.pagerduty)
        ]

    @staticmethod
    async def eventually(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
        await eventually(check, within=within, what=what)

    @staticmethod
    def new_rotation_id() -> str:
        return str(uuid.uuid4())

    def user_emails(self, api_key: str) -> list[str]:
        return [user["email"] for user in self.people(api_key)]

    def people(self, api_key: str) -> list[dict[str, Any]]:
        """The account's users but its owner (whom the provisioner never creates)."""
        return [user for user in self.sim.users(api_key) if user["email"] not in OWNERS.values()]

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def _started_producer(self) -> KafkaBroker:
        if self._producer is None:
            self._producer = KafkaBroker(self.servers)
            await self._producer.start()
        return self._producer


@pytest.fixture
async def harness(
    topics: Topics, kafka_bootstrap_servers: str, database_url: str, simulator: RunningSimulator
) -> AsyncIterator[Harness]:
    await SCHEMA.upgrade_async(database_url)
    harness = Harness(topics, kafka_bootstrap_servers, database_url, simulator)
    yield harness
    await harness.close()
