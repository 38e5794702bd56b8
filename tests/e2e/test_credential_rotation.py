"""Retiring a credential key end to end (docs/security.md, K1): add a new key in front of the old one,
re-seal every stored PagerDuty key (`rotation-service reseal-credentials`), remove the old key from
every service, and the sync still works. The three services and the simulator are separate processes,
restarted with each `CREDENTIAL_KEYS`; the simulator keeps its account in a state file meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from localsystem.api import RotationApi
from localsystem.convergence import ScheduleFeed, wait_until_converged
from localsystem.pagerduty import PagerDutyView
from localsystem.processes import child_env
from localsystem.system import BIN, DATABASE_SERVICES, ROTATION, LocalSystem, SystemConfig
from localsystem.walkthrough import (
    add_members,
    future_shift,
    last_monday_0900,
    split_primary_backup,
    wait_for_new_schedules,
)
from oncall_contracts.credentials import env_entry, generate_key
from oncall_contracts.topics import Topics
from oncall_platform.kafka import ensure_topics
from oncall_testing.databases import create_database, drop_database
from oncall_testing.eventually import eventually_sync
from oncall_testing.kafka import delete_topics

pytestmark = pytest.mark.e2e

ZONE = "Europe/Berlin"
OLD, NEW = env_entry("old", generate_key()), env_entry("new", generate_key())


@pytest.fixture(scope="module")
def base_config(
    kafka_bootstrap_servers: str, postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SystemConfig]:
    topics = Topics(prefix=f"e2e{uuid.uuid4().hex[:10]}.")
    asyncio.run(ensure_topics(kafka_bootstrap_servers, topics.specs()))
    databases: dict[str, str] = {}
    try:
        for service in DATABASE_SERVICES:
            databases[service.name] = asyncio.run(create_database(postgres_server_url))
        state_dir = tmp_path_factory.mktemp("system")
        yield SystemConfig(
            kafka_bootstrap_servers=kafka_bootstrap_servers,
            state_dir=state_dir,
            database_urls=databases,
            topic_prefix=topics.prefix,
            jwt_secret=secrets.token_urlsafe(32),
            pagerduty_state_file=state_dir / "pagerduty-sim.json",
        )
    finally:
        for url in databases.values():
            asyncio.run(drop_database(url))
        asyncio.run(delete_topics(kafka_bootstrap_servers, [spec.name for spec in topics.specs()]))


class Running:
    """The system started with one CREDENTIAL_KEYS value; stopped on leaving the block."""

    def __init__(self, config: SystemConfig, credential_keys: str) -> None:
        self.system = LocalSystem(dataclasses.replace(config, extra_env={"CREDENTIAL_KEYS": credential_keys}))

    def __enter__(self) -> LocalSystem:
        self.system.start()
        return self.system

    def __exit__(self, *exc: object) -> None:
        self.system.stop()
        if exc[0] is not None:
            for name, process in self.system.processes.items():
                print(f"\n----- {name} -----\n{process.log_tail(30)}")


def _reseal(system: LocalSystem) -> str:
    env = child_env(system.service_env(ROTATION))
    result = subprocess.run(
        [str(BIN / "rotation-service"), "reseal-credentials"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _swap_and_converge(system: LocalSystem, rotation: str, feed: ScheduleFeed) -> None:
    api = RotationApi(system.api_url, system.token("keys@example.com"))
    pagerduty = PagerDutyView(system.simulator_url, system.config.account.api_key)
    try:
        shift = future_shift(api, rotation, not_before=timedelta(days=2))
        other = "kim@example.com" if shift["primary"] == "lee@example.com" else "lee@example.com"
        api.reassign_shift(rotation, shift["id"], primary=other)
        comparisons = wait_until_converged(api, pagerduty, [feed], timedelta(days=20))
        assert comparisons[0].matches, comparisons[0].explain()
        assert api.integration(rotation)["last_error"] is None
    finally:
        api.close()
        pagerduty.close()


def test_an_old_credential_key_is_retired_and_the_sync_still_works(base_config: SystemConfig) -> None:
    with Running(base_config, OLD) as system:
        api = RotationApi(system.api_url, system.token("keys@example.com"))
        pagerduty = PagerDutyView(system.simulator_url, system.config.account.api_key)
        rotation = str(api.create_rotation("Keys", ZONE, last_monday_0900(ZONE), horizon_days=21)["id"])
        add_members(api, rotation, [("kim@example.com", "Kim"), ("lee@example.com", "Lee")], ZONE)
        account = system.config.account
        api.configure_own(rotation, account.subdomain, account.api_key)
        schedule, _ = split_primary_backup(wait_for_new_schedules(pagerduty, set(), count=1), "Keys")
        feed = ScheduleFeed(schedule, ((rotation, "primary"),))
        assert all(c.matches for c in wait_until_converged(api, pagerduty, [feed], timedelta(days=20)))
        api.close()
        pagerduty.close()

    with Running(base_config, f"{NEW},{OLD}") as system:  # the new key first: it seals from now on
        assert "re-sealed 1 PagerDuty API key(s) with credential key 'new'" in _reseal(system)
        _swap_and_converge(system, rotation, feed)  # the re-announced seal reached every service

    with Running(base_config, NEW) as system:  # the old key is gone everywhere
        _swap_and_converge(system, rotation, feed)
        api = RotationApi(system.api_url, system.token("keys@example.com"))
        pagerduty = PagerDutyView(system.simulator_url, system.config.account.api_key)
        add_members(api, rotation, [("max@example.com", "Max")], ZONE)  # the provisioner opens it too
        eventually_sync(
            lambda: "max@example.com" in pagerduty.users_by_id().values(), within=60, what="Max in PagerDuty"
        )
        api.close()
        pagerduty.close()
