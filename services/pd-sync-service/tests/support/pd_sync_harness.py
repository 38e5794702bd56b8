"""Drive pd-sync-service in-process on the real broker and database against the simulator."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from faststream.kafka import KafkaBroker

from oncall_contracts import (
    CoverageWindow,
    Envelope,
    IntegrationConfigured,
    IntegrationRemoved,
    PagerDutyAccount,
    PagerDutyUserProvisioned,
    ShiftChanged,
    Topics,
)
from oncall_platform.kafka import make_broker, publish_event
from pd_sync_service.app import running
from pd_sync_service.bootstrap import bootstrap
from pd_sync_service.migrate import upgrade_database
from pd_sync_service.settings import PdSyncSettings

ACCOUNT = PagerDutyAccount(subdomain="acme", region="us")
API_KEY = "acme-test-key"


@dataclass
class Driver:
    """Publishes contract events the way the rotation service and the provisioner would."""

    broker: KafkaBroker
    topics: Topics
    settings: PdSyncSettings
    revisions: dict[str, int] = field(default_factory=dict)

    def next_revision(self, rotation_id: str) -> int:
        self.revisions[rotation_id] = self.revisions.get(rotation_id, 0) + 1
        return self.revisions[rotation_id]

    async def publish(self, payload: Any) -> None:
        await publish_event(self.broker, self.topics, Envelope.new(payload, producer="test"))

    async def configure(
        self,
        rotation_id: str,
        *,
        target: str | None = None,
        coverage: tuple[time, time] | None = None,
        backup: bool = False,
        zone: str = "Europe/London",
        name: str | None = None,
    ) -> None:
        sealed = self.settings.credential_sealer().seal(API_KEY, ACCOUNT.key)
        await self.publish(
            IntegrationConfigured(
                rotation_id=rotation_id,
                rotation_name=name or f"Rotation {rotation_id[:4]}",
                mode="own" if target in (None, rotation_id) else "merge",
                target_rotation_id=target or rotation_id,
                schedule_name=name or f"Schedule {rotation_id[:4]}",
                account=ACCOUNT,
                credential=sealed,
                time_zone=zone,
                schedule_time_zone=zone,
                coverage=CoverageWindow(start=coverage[0], end=coverage[1]) if coverage else None,
                backup=backup,
                revision=self.next_revision(rotation_id) + 1000,
            )
        )

    async def remove(self, rotation_id: str) -> None:
        await self.publish(
            IntegrationRemoved(rotation_id=rotation_id, revision=self.next_revision(rotation_id) + 1000)
        )

    async def shift(
        self,
        rotation_id: str,
        shift_id: str,
        start: datetime,
        end: datetime,
        primary: str | None,
        backup: str | None = None,
        cancelled: bool = False,
    ) -> None:
        await self.publish(
            ShiftChanged(
                rotation_id=rotation_id,
                shift_id=shift_id,
                revision=self.next_revision(rotation_id),
                start=start,
                end=end,
                primary=primary,
                backup=backup,
                cancelled=cancelled,
            )
        )

    async def provisioned(self, email: str, user_id: str) -> None:
        await self.publish(
            PagerDutyUserProvisioned(account=ACCOUNT, email=email, user_id=user_id, name=email.split("@")[0])
        )


@contextlib.asynccontextmanager
async def service_running(
    bootstrap_servers: str, topics: Topics, database_url: str, sim: Any
) -> AsyncIterator[Driver]:
    settings = PdSyncSettings(
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_topic_prefix=topics.prefix,
        database_url=database_url,
        pagerduty_base_url=sim.base_url,
        debounce_ms=150,
    )
    await upgrade_database(database_url)
    service = bootstrap(settings, pagerduty_clock=sim.now)
    producer = make_broker(bootstrap_servers, client_id=f"test-{uuid.uuid4().hex[:6]}")
    await producer.start()
    await service.broker.start()
    try:
        async with running(service):
            yield Driver(producer, topics, settings)
    finally:
        await service.broker.stop()
        await producer.stop()


async def eventually(check: Callable[[], bool], within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


def create_users(sim: Any, emails: list[str]) -> dict[str, str]:
    """Create PagerDuty users in the simulator (as the provisioner would); email -> user id."""
    import httpx

    ids = {}
    headers = {
        "Authorization": f"Token token={API_KEY}",
        "Accept": "application/vnd.pagerduty+json;version=2",
        "From": "admin@example.com",
    }
    with httpx.Client(base_url=sim.base_url, headers=headers) as http:
        for email in emails:
            body = {"user": {"type": "user", "name": email.split("@")[0], "email": email, "time_zone": "UTC"}}
            response = http.post("/users", json=body)
            response.raise_for_status()
            ids[email] = response.json()["user"]["id"]
    return ids
