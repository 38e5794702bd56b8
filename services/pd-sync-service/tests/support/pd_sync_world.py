"""One running pd-sync-service with its simulator, shared by the scenarios of a test module.

Scenarios isolate themselves by using fresh rotation ids; they wait for quiescence (`settle`: every
published event applied, no schedule dirty, nothing left to publish) instead of sleeping, and then
compare PagerDuty's final schedule with the scheduler model, second by second.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pd_sync_harness import API_KEY, Driver, SyncResults, create_users, new_producer
from pd_sync_reference import differing_seconds
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_contracts import Topics
from oncall_platform import lifecycle
from oncall_platform.database import make_async_engine
from oncall_platform.kafka import ensure_topics
from oncall_testing.databases import create_database, drop_database
from oncall_testing.eventually import eventually
from oncall_testing.kafka import delete_topics
from pagerduty_sim.testing import RunningSimulator, run_simulator
from pd_sync_service.app import service_parts
from pd_sync_service.bootstrap import Service, bootstrap
from pd_sync_service.domain.model import Assignment
from pd_sync_service.entrypoints.consumers import CONSUMER_GROUP
from pd_sync_service.migrate import SCHEMA
from pd_sync_service.settings import PdSyncSettings

START = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)  # nine days before London's spring DST change
EMAILS = [f"member{index}@example.com" for index in range(8)]


@dataclass
class World:
    sim: RunningSimulator
    service: Service
    driver: Driver
    results: SyncResults
    engine: AsyncEngine
    user_ids: dict[str, str]
    dst: str
    admin: AIOKafkaAdminClient

    async def settle(self, within: float = 30.0) -> None:
        """Wait until the service has applied every event published so far and has nothing to do."""

        async def settled() -> bool:
            return await self._quiet() and await self.results.caught_up()

        await eventually(settled, within=within, what="pd-sync-service to settle", interval=0.05)

    async def _consumed(self) -> bool:
        """The service's consumer group has committed everything on its topics (replays included)."""
        topics = self.driver.topics
        partitions = [
            TopicPartition(spec.name, number)
            for spec in topics.specs()
            if spec.name in (topics.rotation, topics.pagerduty)
            for number in range(spec.partitions)
        ]
        committed = await self.admin.list_consumer_group_offsets(topics.consumer_group(CONSUMER_GROUP))
        ends = await self.results.end_offsets(partitions)
        return all(end == 0 or (p in committed and committed[p].offset >= end) for p, end in ends.items())

    async def _quiet(self) -> bool:
        if not await self._consumed():
            return False
        async with self.engine.connect() as connection:
            if self.driver.pending_ids:
                applied = await connection.scalars(
                    text(
                        "SELECT event_id FROM processed_events WHERE consumer = :c AND event_id IN :ids"
                    ).bindparams(bindparam("ids", expanding=True)),
                    {"c": CONSUMER_GROUP, "ids": list(self.driver.pending_ids)},
                )
                self.driver.pending_ids -= set(applied)
            if self.driver.pending_ids:
                return False
            # A target waiting for a PagerDuty user, not marked again since, has nothing to do yet.
            busy = await connection.scalar(
                text(
                    "SELECT count(*) FROM targets t WHERE dirty_seq > synced_seq AND (dirty_at IS NOT NULL"
                    " OR NOT EXISTS (SELECT 1 FROM awaited_users a"
                    " WHERE a.target_rotation_id = t.target_rotation_id AND a.role = t.role))"
                )
            )
            unsent = await connection.scalar(
                text("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL AND parked_at IS NULL")
            )
            return busy == 0 and unsent == 0

    def schedule_id(self, target: str, role: str = "primary") -> str:
        synced = self.results.synced(target, role)
        assert synced, f"no ScheduleSynced for {target} {role}"
        return synced[-1].schedule_id

    async def wait_synced_where(self, rotation_id: str, check: Any, role: str = "primary") -> None:
        """Wait for a ScheduleSynced of the rotation for which `check(event)` holds."""
        await _until(lambda: any(check(event) for event in self.results.synced(rotation_id, role)))

    def final(self, schedule_id: str, since: datetime, until: datetime) -> list[Assignment]:
        entries = self.sim.final_schedule(API_KEY, schedule_id, since, until)
        return [Assignment(start, end, user) for start, end, user in entries]

    def window(self, target: str) -> tuple[datetime, datetime]:
        since = self.sim.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
        return since, self.driver.model.horizon(target)

    def differing(self, target: str, role: str = "primary", *, allow_empty: bool = False) -> int:
        """Seconds from now to the horizon where PagerDuty and the scheduler name different people."""
        since, until = self.window(target)
        expected = self.driver.model.timeline(target, role, self.user_ids, since, until)
        assert expected or allow_empty, "the scenario must put someone on call"
        return differing_seconds(self.final(self.schedule_id(target, role), since, until), expected)

    def requests(self, schedule_id: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.sim.requests()
            if r["path"].startswith("/schedules")
            and (schedule_id is None or r["path"].split("/")[2:3] == [schedule_id])
        ]

    def writes(self, schedule_id: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.requests(schedule_id) if r["method"] in ("POST", "PUT", "DELETE")]

    def creations(self, name: str) -> list[dict[str, Any]]:
        """The POST /schedules requests that created a schedule named `name`."""
        return [
            r
            for r in self.requests()
            if r["method"] == "POST" and r["path"] == "/schedules" and r["body"]["schedule"]["name"] == name
        ]

    def add_user(self, email: str) -> str:
        """A member the provisioner has just created in PagerDuty."""
        self.user_ids.update(create_users(self.sim, [email]))
        return self.user_ids[email]


async def _until(check: Any, within: float = 20.0) -> None:
    async def holds() -> bool:
        return bool(check())

    await eventually(holds, within=within, what="the condition", interval=0.05)


@contextlib.asynccontextmanager
async def world_running(
    bootstrap_servers: str, postgres_server_url: str, dst: str, **settings: Any
) -> AsyncIterator[World]:
    """A fresh database, topics, simulator (with `dst`) and service; every EMAILS user provisioned."""
    topics = Topics(prefix=f"t{uuid.uuid4().hex[:12]}.")
    await ensure_topics(bootstrap_servers, topics.specs())
    database_url = await create_database(postgres_server_url)
    engine = make_async_engine(database_url)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        with run_simulator([f"acme:{API_KEY}"], dst=dst) as sim:
            sim.set_clock(START)
            async with _service(bootstrap_servers, topics, database_url, sim, settings) as world_parts:
                service, driver, results = world_parts
                ids = create_users(sim, EMAILS)
                world = World(sim, service, driver, results, engine, ids, dst, admin)
                for email in EMAILS:
                    await driver.provisioned(email, world.user_ids[email])
                await world.settle()
                yield world
    finally:
        await admin.close()
        await engine.dispose()
        await drop_database(database_url)
        await delete_topics(bootstrap_servers, [spec.name for spec in topics.specs()])


@contextlib.asynccontextmanager
async def _service(
    bootstrap_servers: str,
    topics: Topics,
    database_url: str,
    sim: RunningSimulator,
    overrides: dict[str, Any],
) -> AsyncIterator[tuple[Service, Driver, SyncResults]]:
    settings = PdSyncSettings(
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_topic_prefix=topics.prefix,
        database_url=database_url,
        pagerduty_base_url=sim.base_url,
        **overrides,
    )
    await SCHEMA.upgrade_async(database_url)
    service = bootstrap(settings, pagerduty_clock=sim.now)
    producer = new_producer(bootstrap_servers)
    results = SyncResults(bootstrap_servers, topics.pagerduty)
    await producer.start()
    await results.start()
    try:
        async with lifecycle.running(service_parts(service), settings.shutdown_grace_seconds):
            yield service, Driver(producer, topics, settings), results
    finally:
        await results.stop()
        await producer.stop()
