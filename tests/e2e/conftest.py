"""One started system per module: the simulator and the three services as separate OS processes on
the shared broker (a fresh topic prefix) and PostgreSQL (a fresh database per service), with every
process exporting spans to a local OTLP receiver."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Iterator

import pytest

from localsystem.system import DATABASE_SERVICES, LocalSystem, SystemConfig
from oncall_contracts.credentials import env_entry, generate_key
from oncall_contracts.topics import Topics
from oncall_platform.kafka import ensure_topics
from oncall_testing.databases import create_database, drop_database
from oncall_testing.kafka import delete_topics
from oncall_testing.otlp import OtlpReceiver


@pytest.fixture(scope="module")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def local_system(
    kafka_bootstrap_servers: str,
    postgres_server_url: str,
    otlp_receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalSystem]:
    topics = Topics(prefix=f"e2e{uuid.uuid4().hex[:10]}.")
    asyncio.run(ensure_topics(kafka_bootstrap_servers, topics.specs()))
    databases: dict[str, str] = {}
    system: LocalSystem | None = None
    try:
        for service in DATABASE_SERVICES:
            databases[service.name] = asyncio.run(create_database(postgres_server_url))
        config = SystemConfig(
            kafka_bootstrap_servers=kafka_bootstrap_servers,
            state_dir=tmp_path_factory.mktemp("system"),
            database_urls=databases,
            topic_prefix=topics.prefix,
            otlp_endpoint=otlp_receiver.endpoint,
            jwt_secret=secrets.token_urlsafe(32),
            extra_env={"CREDENTIAL_KEYS": env_entry("e2e", generate_key())},
        )
        system = LocalSystem(config)
        system.start()
        yield system
    finally:
        if system is not None:
            system.stop()
            _print_logs(system)
        for url in databases.values():
            asyncio.run(drop_database(url))
        asyncio.run(delete_topics(kafka_bootstrap_servers, [spec.name for spec in topics.specs()]))


def _print_logs(system: LocalSystem) -> None:
    """Last log lines of every process, shown by pytest when a test of the module failed."""
    for name, process in system.processes.items():
        print(f"\n----- {name} (pid {process.pid}, exit {process.popen and process.popen.returncode}) -----")
        print(process.log_tail(40))
