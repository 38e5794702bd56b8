"""The shared pytest plugin: real Kafka, real PostgreSQL, per-test isolation, and captured spans.

Fixtures:
- `kafka_bootstrap_servers` (session): a broker that answered a metadata request.
- `topics` (function): `oncall_contracts.topics.Topics` with a unique prefix, its topics created.
- `postgres_server_url` (session) and `database_url` (function): a fresh empty database per test.
- `span_exporter` / `tracer_provider`: the session's global tracer provider with an in-memory exporter,
  cleared for each test.
- `private_kafka` (function): a dedicated broker the test may stop and start.

Services have no default `ENVIRONMENT`; the tests run as `development` unless the caller set it (a test
of the refusal removes it with `monkeypatch.delenv`).

It also registers `skip_allowlist` (an unlisted skip or xfail fails the run) and
`hypothesis_profiles` (the reproducible `ci` profile by default, `deep` for `make test-deep`).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from oncall_testing.databases import create_database, drop_database
from oncall_testing.infrastructure import (
    Infrastructure,
    InfrastructureMissing,
    InfrastructureRefused,
    refused,
)
from oncall_testing.kafka import PrivateKafka, broker_answers, delete_topics, free_port

pytest_plugins = ["oncall_testing.skip_allowlist", "oncall_testing.hypothesis_profiles"]


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("ENVIRONMENT", "development")


def _repo_root(config: pytest.Config) -> Path:
    for candidate in [config.rootpath, *config.rootpath.parents]:
        if (candidate / "deploy" / "local" / "kafka.sh").is_file():
            return candidate
    return config.rootpath


@pytest.fixture(scope="session")
def infrastructure(request: pytest.FixtureRequest) -> Iterator[Infrastructure]:
    infra = Infrastructure(_repo_root(request.config))
    yield infra
    infra.close()


@pytest.fixture(scope="session")
def kafka_bootstrap_servers(infrastructure: Infrastructure) -> str:
    try:
        servers = infrastructure.kafka_bootstrap_servers()
    except InfrastructureRefused as refusal:
        pytest.fail(str(refusal), pytrace=False)
    except InfrastructureMissing as missing:
        pytest.exit(str(missing), returncode=3)
    if not asyncio.run(broker_answers(servers)):
        pytest.fail(f"the Kafka broker at {servers} does not answer; run `make up`", pytrace=False)
    return servers


@pytest.fixture
async def topics(kafka_bootstrap_servers: str) -> AsyncIterator[object]:
    from oncall_contracts.topics import Topics
    from oncall_platform.kafka import ensure_topics

    declared = Topics(prefix=f"t{uuid.uuid4().hex[:12]}.")
    await ensure_topics(kafka_bootstrap_servers, declared.specs())
    yield declared
    await delete_topics(kafka_bootstrap_servers, [spec.name for spec in declared.specs()])


@pytest.fixture(scope="session")
def postgres_server_url(infrastructure: Infrastructure) -> str:
    try:
        return infrastructure.database_url()
    except InfrastructureRefused as refusal:
        pytest.fail(str(refusal), pytrace=False)
    except InfrastructureMissing as missing:
        pytest.exit(str(missing), returncode=3)


@pytest.fixture
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    url = await create_database(postgres_server_url)
    yield url
    await drop_database(url)


_SESSION_EXPORTER = InMemorySpanExporter()


def _session_tracer_provider() -> TracerProvider:
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_SESSION_EXPORTER))
    trace.set_tracer_provider(provider)
    return provider


@pytest.fixture
def tracer_provider() -> TracerProvider:
    return _session_tracer_provider()


@pytest.fixture
def span_exporter(tracer_provider: TracerProvider) -> InMemorySpanExporter:
    _SESSION_EXPORTER.clear()
    return _SESSION_EXPORTER


@pytest.fixture
def private_kafka(
    request: pytest.FixtureRequest, infrastructure: Infrastructure, tmp_path: Path
) -> Iterator[PrivateKafka]:
    if infrastructure.refusing:
        pytest.fail(str(refused("a Kafka broker of its own")), pytrace=False)
    broker = PrivateKafka(
        script=_repo_root(request.config) / "deploy" / "local" / "kafka.sh",
        state_dir=tmp_path / "kafka",
        port=free_port(),
        controller_port=free_port(),
    )
    broker.start()
    yield broker
    broker.stop()
