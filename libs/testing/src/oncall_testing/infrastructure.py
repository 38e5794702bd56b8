"""Where the test suites find a real Kafka broker and a real PostgreSQL server.

In order: the `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` environment; the `.local/env` file that
`make up` writes; `testcontainers` when a Docker engine answers; otherwise the run stops at once and
says to run `make up`. There is no in-memory fallback.

With `ONCALL_TESTS_WITHOUT_INFRASTRUCTURE=1` (`make unit`) nothing is looked up: a test that asks for
a broker or a database fails, saying so, instead of quietly reaching the shared servers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAKE_UP_HINT = (
    "no Kafka broker / PostgreSQL configured: run `make up` (or set KAFKA_BOOTSTRAP_SERVERS and "
    "DATABASE_URL) before the integration tests"
)


WITHOUT_INFRASTRUCTURE = "ONCALL_TESTS_WITHOUT_INFRASTRUCTURE"


class InfrastructureMissing(RuntimeError):
    """Raised when neither configuration nor a Docker engine provides the servers."""


class InfrastructureRefused(RuntimeError):
    """Raised when a test asks for a server in a run without infrastructure (`make unit`)."""


def refused(server: str) -> InfrastructureRefused:
    return InfrastructureRefused(
        f"this test needs {server}, but {WITHOUT_INFRASTRUCTURE} is set (`make unit` runs only the tests "
        "that need no broker or database): mark it `integration`"
    )


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of `path`, or nothing when it does not exist."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values


def docker_engine_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:
        return False


@dataclass
class Infrastructure:
    """Resolves each server once, starting containers only when nothing is configured."""

    repo_root: Path
    _containers: list[Any] = field(default_factory=list)
    _configured: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.refusing = os.environ.get(WITHOUT_INFRASTRUCTURE, "") not in ("", "0")
        if self.refusing:
            return
        self._configured = read_env_file(self.repo_root / ".local" / "env")
        for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"):
            if os.environ.get(name):
                self._configured[name] = os.environ[name]

    def kafka_bootstrap_servers(self) -> str:
        if self.refusing:
            raise refused("a Kafka broker")
        if "KAFKA_BOOTSTRAP_SERVERS" in self._configured:
            return self._configured["KAFKA_BOOTSTRAP_SERVERS"]
        if docker_engine_answers():
            from testcontainers.kafka import KafkaContainer

            container = KafkaContainer().with_kraft()
            container.start()
            self._containers.append(container)
            self._configured["KAFKA_BOOTSTRAP_SERVERS"] = container.get_bootstrap_server()
            return self._configured["KAFKA_BOOTSTRAP_SERVERS"]
        raise InfrastructureMissing(MAKE_UP_HINT)

    def database_url(self) -> str:
        if self.refusing:
            raise refused("PostgreSQL")
        if "DATABASE_URL" in self._configured:
            return self._configured["DATABASE_URL"]
        if docker_engine_answers():
            from testcontainers.postgres import PostgresContainer

            container = PostgresContainer("postgres:16", driver=None)
            container.start()
            self._containers.append(container)
            self._configured["DATABASE_URL"] = container.get_connection_url()
            return self._configured["DATABASE_URL"]
        raise InfrastructureMissing(MAKE_UP_HINT)

    def close(self) -> None:
        for container in reversed(self._containers):
            container.stop()
        self._containers.clear()
