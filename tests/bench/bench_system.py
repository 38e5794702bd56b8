"""A system started like `make run` with PostgreSQL, on a fresh topic prefix and fresh databases,
removed again afterwards."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localsystem.databases import ensure_databases, service_database_url
from localsystem.system import DATABASE_SERVICES, DemoAccount, LocalSystem, SystemConfig
from oncall_contracts.topics import Topics
from oncall_platform.kafka import ensure_topics
from oncall_testing.databases import drop_database
from oncall_testing.kafka import delete_topics

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def bench_system(
    accounts: int = 1,
    services: tuple[str, ...] | None = None,
    extra_env: dict[str, str] | None = None,
    replicas: int = 1,
) -> Iterator[LocalSystem]:
    """`accounts` simulator accounts (each with its own API key and rate limit); `services` the processes
    to start (default: the three services, not the web UI); `extra_env` settings for every service;
    `replicas` processes of each service with a database."""
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        sys.exit("make bench needs PostgreSQL: run it through `make bench` (DATABASE_URL from `make up`)")
    run_id = uuid.uuid4().hex[:8]
    topics = Topics(prefix=f"bench{run_id}.")
    asyncio.run(ensure_topics(bootstrap, topics.specs()))
    names = {s.name: f"bench_{run_id}_{s.name.replace('-', '_')}" for s in DATABASE_SERVICES}
    asyncio.run(ensure_databases(server_url, list(names.values())))
    urls = {service: service_database_url(server_url, name) for service, name in names.items()}
    system = LocalSystem(
        SystemConfig(
            kafka_bootstrap_servers=bootstrap,
            state_dir=REPO / ".local" / "bench" / run_id,
            database_urls=urls,
            topic_prefix=topics.prefix,
            log_level="WARNING",
            services=services or tuple(s.name for s in DATABASE_SERVICES),
            extra_accounts=tuple(DemoAccount(subdomain=f"demo{n}") for n in range(2, accounts + 1)),
            extra_env=extra_env or {},
            replicas=replicas,
        )
    )
    try:
        system.start()
        yield system
    finally:
        system.stop()
        for url in urls.values():
            asyncio.run(drop_database(url))
        asyncio.run(delete_topics(bootstrap, [spec.name for spec in topics.specs()]))
