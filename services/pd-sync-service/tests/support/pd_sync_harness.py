"""Drive pd-sync-service in-process on the real broker and database against the simulator."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker
from pd_sync_model import RotationState, SchedulerModel

from oncall_contracts import (
    CoverageWindow,
    Envelope,
    IntegrationConfigured,
    IntegrationRemoved,
    MemberRemoved,
    PagerDutyAccount,
    PagerDutyUserProvisioned,
    RotationUpdated,
    ScheduleSynced,
    ScheduleSyncFailed,
    ShiftChanged,
    Topics,
    registry,
)
from oncall_platform.kafka import make_broker
from oncall_testing.kafka import publish_event
from pd_sync_service.service_layer.folding import HANDLED_EVENTS
from pd_sync_service.settings import PdSyncSettings

ACCOUNT = PagerDutyAccount(subdomain="acme", region="us")
API_KEY = "acme-test-key"
PD_HEADERS = {
    "Authorization": f"Token token={API_KEY}",
    "Accept": "application/vnd.pagerduty+json;version=2",
    "From": "admin@example.com",
}


@dataclass
class Driver:
    """Publishes contract events the way the rotation service and the provisioner would, and keeps the
    scheduler's side of the story in `model`."""

    broker: KafkaBroker
    topics: Topics
    settings: PdSyncSettings
    model: SchedulerModel = field(default_factory=SchedulerModel)
    revisions: dict[str, int] = field(default_factory=dict)
    published: list[Envelope[Any]] = field(default_factory=list)
    pending_ids: set[uuid.UUID] = field(default_factory=set)

    def next_revision(self, rotation_id: str) -> int:
        self.revisions[rotation_id] = self.revisions.get(rotation_id, 0) + 1
        return self.revisions[rotation_id]

    async def publish(self, payload: Any) -> None:
        await self.send(Envelope.new(payload, producer="test"))

    async def send(self, envelope: Envelope[Any]) -> None:
        if isinstance(envelope.payload, HANDLED_EVENTS):  # others are only consumed, never recorded
            self.pending_ids.add(envelope.event_id)
        self.published.append(envelope)
        await publish_event(self.broker, self.topics, envelope)

    async def replay(self, envelopes: list[Envelope[Any]]) -> None:
        """Deliver already-published events again (same event ids), many at a time."""
        for start in range(0, len(envelopes), 100):
            batch = envelopes[start : start + 100]
            await asyncio.gather(*(publish_event(self.broker, self.topics, e) for e in batch))

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
        name = name or f"Rotation {rotation_id[:8]}"
        target = target or rotation_id
        await self.publish(
            IntegrationConfigured(
                rotation_id=rotation_id,
                rotation_name=name,
                mode="own" if target == rotation_id else "merge",
                target_rotation_id=target,
                schedule_name=f"Schedule {rotation_id[:8]}",
                account=ACCOUNT,
                credential=sealed,
                time_zone=zone,
                schedule_time_zone=zone,
                coverage=_coverage(coverage),
                backup=backup,
                revision=self.next_revision(rotation_id) + 1000,
            )
        )
        state = self.model.rotations.setdefault(
            rotation_id, RotationState(rotation_id, name, zone, coverage, backup)
        )
        state.coverage, state.backup, state.target = coverage, backup, target

    async def change_coverage(self, rotation_id: str, coverage: tuple[time, time] | None) -> None:
        """RotationUpdated with a new daily coverage window (the other settings unchanged)."""
        state = self.model.rotations[rotation_id]
        await self.publish(
            RotationUpdated(
                rotation_id=rotation_id,
                name=state.name,
                time_zone=state.zone,
                period=timedelta(days=7),
                first_shift_start=datetime(2026, 3, 16, 9),
                handoffs=[timedelta(hours=9)],
                coverage=_coverage(coverage),
                backup=state.backup,
                horizon_days=56,
            )
        )
        state.coverage = coverage

    async def remove(self, rotation_id: str) -> None:
        await self.publish(
            IntegrationRemoved(rotation_id=rotation_id, revision=self.next_revision(rotation_id) + 1000)
        )
        self.model.rotations[rotation_id].target = None

    async def member_removed(self, rotation_id: str, email: str) -> None:
        await self.publish(MemberRemoved(rotation_id=rotation_id, email=email))

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
        self.model.rotations[rotation_id].shifts[shift_id] = (start, end, primary, backup, cancelled)

    async def provisioned(self, email: str, user_id: str) -> None:
        await self.publish(
            PagerDutyUserProvisioned(account=ACCOUNT, email=email, user_id=user_id, name=email.split("@")[0])
        )


def _coverage(coverage: tuple[time, time] | None) -> CoverageWindow | None:
    return CoverageWindow(start=coverage[0], end=coverage[1]) if coverage else None


class SyncResults:
    """Every ScheduleSynced / ScheduleSyncFailed on the PagerDuty topic (no consumer group)."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.events: list[Any] = []
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._task = asyncio.create_task(self._collect())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        ends: dict[TopicPartition, int] = await self._consumer.end_offsets(partitions)
        return ends

    async def caught_up(self) -> bool:
        """True when every event on the topic so far has been read."""
        partitions = self._consumer.assignment()
        if not partitions:
            return False
        ends = await self._consumer.end_offsets(list(partitions))
        for partition, end in ends.items():
            if await self._consumer.position(partition) < end:
                return False
        return True

    async def _collect(self) -> None:
        async for message in self._consumer:
            envelope = registry.decode(message.value or b"", dict(message.headers or []))
            if isinstance(envelope.payload, ScheduleSynced | ScheduleSyncFailed):
                self.events.append(envelope.payload)

    def synced(self, rotation_id: str, role: str = "primary") -> list[ScheduleSynced]:
        return [
            e
            for e in self.events
            if isinstance(e, ScheduleSynced) and e.rotation_id == rotation_id and e.role == role
        ]


def create_users(sim: Any, emails: list[str]) -> dict[str, str]:
    """Create PagerDuty users in the simulator (as the provisioner would); email -> user id."""
    ids = {}
    with httpx.Client(base_url=sim.base_url, headers=PD_HEADERS) as http:
        for email in emails:
            body = {"user": {"type": "user", "name": email.split("@")[0], "email": email, "time_zone": "UTC"}}
            response = http.post("/users", json=body)
            response.raise_for_status()
            ids[email] = response.json()["user"]["id"]
    return ids


def new_producer(bootstrap_servers: str) -> KafkaBroker:
    return make_broker(bootstrap_servers, client_id=f"test-{uuid.uuid4().hex[:6]}")
