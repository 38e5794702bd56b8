from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker
from simulated_pagerduty import ACME_KEY
from sqlalchemy import text

from oncall_contracts import Envelope
from oncall_contracts.pagerduty.v1 import (
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
    UserProvisioningFailed,
)
from oncall_contracts.topics import Topics
from oncall_contracts.values import PagerDutyAccount
from oncall_testing.eventually import eventually
from oncall_testing.kafka import publish_event
from rotation_service.bootstrap import Container

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


async def status_of(client: httpx.AsyncClient, api: Any, rotation_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/rotations/{rotation_id}/pagerduty", headers=api.auth(OWNER))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_sync_results_show_up_once_in_the_integration_status(
    client: httpx.AsyncClient,
    api: Any,
    container: Container,
    topics: Topics,
    kafka_bootstrap_servers: str,
    read_events: Any,
) -> None:
    rotation = await api.create_rotation(OWNER)
    rid = rotation["id"]
    body = {"mode": "own", "subdomain": "acme", "api_key": ACME_KEY, "region": "eu"}
    assert (
        await client.put(f"/v1/rotations/{rid}/pagerduty", json=body, headers=api.auth(OWNER))
    ).status_code == 200

    failed = Envelope.new(
        ScheduleSyncFailed(rotation_id=rid, role="primary", reason="429 rate limited", retryable=True),
        producer="pd-sync-service",
        occurred_at=datetime(2026, 12, 1, 12, 1, tzinfo=UTC),
    )
    synced = Envelope.new(
        ScheduleSynced(
            rotation_id=rid,
            role="primary",
            schedule_id="PSCHED1",
            schedule_url="https://acme.pagerduty.com/schedules/PSCHED1",
            layer_ids=["PLAYER1"],
            synced_until=datetime(2027, 6, 1, tzinfo=UTC),
            requests_spent=3,
        ),
        producer="pd-sync-service",
        occurred_at=datetime(2026, 12, 1, 12, 2, tzinfo=UTC),
    )
    producer = KafkaBroker(kafka_bootstrap_servers)
    await producer.start()

    async def send(*envelopes: Envelope[Any]) -> None:
        for envelope in envelopes:
            await publish_event(producer, topics, envelope)

    try:
        await send(failed, failed)  # the duplicate is applied once
        await producer.publish(b"not json", topic=topics.pagerduty, key=rid.encode())
        await container.consumer_broker().start()  # stopped by container.close()

        async def failed_status() -> dict[str, Any] | None:
            status = await status_of(client, api, rid)
            return status if status["last_error"] else None

        status = await eventually(failed_status, within=20, what="ScheduleSyncFailed in the status")
        assert status is not None, "ScheduleSyncFailed never reached the status"
        assert status["last_error"]["reason"] == "429 rate limited"
        assert status["last_error"]["retryable"] is True
        assert status["last_sync"] is None
        await send(synced)
    finally:
        await producer.stop()

    async def synced_status() -> dict[str, Any] | None:
        status = await status_of(client, api, rid)
        return status if status["last_sync"] else None

    status = await eventually(synced_status, within=20, what="ScheduleSynced in the status")
    assert status is not None, "ScheduleSynced never reached the status"
    [schedule] = status["schedules"]
    assert schedule["schedule_url"] == "https://acme.pagerduty.com/schedules/PSCHED1"
    assert schedule["layer_ids"] == ["PLAYER1"]
    assert status["last_sync"].startswith("2026-12-01T12:02")
    assert status["last_error"] is None  # the later success clears the earlier failure

    [dead] = await read_events(kafka_bootstrap_servers, topics.dead_letter("rotation-service"), at_least=1)
    assert dead.value == b"not json"
    async with container.engine.connect() as connection:
        applied = (await connection.execute(text("SELECT count(*) FROM processed_events"))).scalar_one()
    assert applied == 2  # failed (once, despite the duplicate) and synced


async def test_the_status_says_whom_the_sync_waits_for_and_why(
    client: httpx.AsyncClient,
    api: Any,
    container: Container,
    topics: Topics,
    kafka_bootstrap_servers: str,
) -> None:
    rotation = await api.create_rotation(OWNER)
    rid = rotation["id"]
    for email in ("ada@example.com", "bob@example.com"):
        await api.add_member(rid, OWNER, email)
    body = {"mode": "own", "subdomain": "acme", "api_key": ACME_KEY, "region": "eu"}
    assert (
        await client.put(f"/v1/rotations/{rid}/pagerduty", json=body, headers=api.auth(OWNER))
    ).status_code == 200
    account = PagerDutyAccount(subdomain="acme", region="eu")
    waiting = ScheduleSyncWaiting(
        rotation_id=rid, role="primary", waiting_for=["ada@example.com", "bob@example.com"]
    )
    refused = UserProvisioningFailed(
        account=account, email="bob@example.com", reason="PagerDuty refused the e-mail", retryable=False
    )
    async with KafkaBroker(kafka_bootstrap_servers) as producer:
        await producer.start()
        for payload in (waiting, refused):
            await publish_event(producer, topics, Envelope.new(payload, producer="test"))
    await container.consumer_broker().start()  # stopped by container.close()

    async def both_recorded() -> list[dict[str, Any]] | None:
        people: list[dict[str, Any]] = (await status_of(client, api, rid))["waiting_for"]
        return people if any(p["provisioning"] == "failed" for p in people) else None

    people = await eventually(both_recorded, within=20, what="whom the sync waits for in the status")
    assert people == [
        {
            "email": "ada@example.com",
            "name": "Ada",
            "provisioning": "pending",
            "reason": None,
            "retryable": None,
        },
        {
            "email": "bob@example.com",
            "name": "Bob",
            "provisioning": "failed",
            "reason": "PagerDuty refused the e-mail",
            "retryable": False,
        },
    ]


async def test_a_result_racing_the_rotations_deletion_leaves_no_status(
    api: Any, container: Container
) -> None:
    rid = (await api.create_rotation(OWNER))["id"]
    synced = Envelope.new(
        ScheduleSynced(
            rotation_id=rid,
            role="primary",
            schedule_id="PSCHED1",
            schedule_url="https://acme.pagerduty.com/schedules/PSCHED1",
            layer_ids=["PLAYER1"],
            synced_until=datetime(2027, 6, 1, tzinfo=UTC),
            requests_spent=1,
        ),
        producer="pd-sync-service",
        occurred_at=datetime(2026, 12, 1, 12, 2, tzinfo=UTC),
    )

    async def record_result() -> None:
        async with container.sync_results.unit_of_work() as uow:
            await container.sync_results.apply(uow, synced)
            await uow.commit()

    async def waits_for_a_lock_or_is_done(recording: asyncio.Task[None]) -> bool:
        async with container.engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        return recording.done() or bool(waiting)

    # The deletion has locked and removed the rotation but not committed when the result is handled.
    async with container.sync_results.unit_of_work() as deletion:
        assert await deletion.rotations.get(rid) is not None
        await deletion.rotations.remove(rid)
        recording = asyncio.create_task(record_result())
        await eventually(
            lambda: waits_for_a_lock_or_is_done(recording), within=10, what="the result handled or waiting"
        )
        await deletion.commit()
    await recording

    async with container.engine.connect() as connection:
        left = await connection.scalar(
            text("SELECT count(*) FROM sync_status WHERE rotation_id = :id"), {"id": rid}
        )
    assert left == 0


def _synced(rotation_id: str, role: str = "primary") -> Envelope[ScheduleSynced]:
    return Envelope.new(
        ScheduleSynced(
            rotation_id=rotation_id,
            role=role,
            schedule_id="PSCHED1",
            schedule_url="https://acme.pagerduty.com/schedules/PSCHED1",
            layer_ids=["PLAYER1"],
            synced_until=datetime(2027, 6, 1, tzinfo=UTC),
            requests_spent=1,
        ),
        producer="pd-sync-service",
        occurred_at=datetime(2026, 12, 1, 12, 2, tzinfo=UTC),
    )


async def _record(container: Container, envelope: Envelope[Any]) -> None:
    async with container.sync_results.unit_of_work() as uow:
        await container.sync_results.apply(uow, envelope)
        await uow.commit()


async def _statuses(container: Container, rotation_id: str) -> int:
    async with container.engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM sync_status WHERE rotation_id = :id"), {"id": rotation_id}
        )
    return int(count or 0)


async def test_a_result_arriving_after_the_integration_was_removed_leaves_no_status(
    client: httpx.AsyncClient, api: Any, container: Container
) -> None:
    """A sync result still on its way when the integration is removed (IntegrationRemoved not yet
    folded by pd-sync) used to re-create the status; nothing cleared it, not even the rotation's
    deletion (it only cleared the statuses of an integration still configured)."""
    rid = (await api.create_rotation(OWNER))["id"]
    body = {"mode": "own", "subdomain": "acme", "api_key": ACME_KEY, "region": "eu"}
    url = f"/v1/rotations/{rid}/pagerduty"
    assert (await client.put(url, json=body, headers=api.auth(OWNER))).status_code == 200
    await _record(container, _synced(rid))
    assert await _statuses(container, rid) == 1
    assert (await client.delete(url, headers=api.auth(OWNER))).status_code == 204
    assert await _statuses(container, rid) == 0
    await _record(container, _synced(rid, "backup"))  # late: the integration is gone
    assert await _statuses(container, rid) == 0
    deleted = await client.delete(f"/v1/rotations/{rid}", headers=api.auth(OWNER))
    assert deleted.status_code == 204
    assert await _statuses(container, rid) == 0


async def test_deleting_a_rotation_without_integration_removes_its_statuses(
    client: httpx.AsyncClient, api: Any, container: Container
) -> None:
    """Statuses left without an integration (by an earlier version, or a role no longer synced) go
    with the rotation, in the deletion's transaction."""
    rid = (await api.create_rotation(OWNER))["id"]
    async with container.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO sync_status (rotation_id, role, layer_ids, waiting_for)"
                " VALUES (:id, 'primary', '[]', '[]'), (:id, 'backup', '[]', '[]')"
            ),
            {"id": rid},
        )
    deleted = await client.delete(f"/v1/rotations/{rid}", headers=api.auth(OWNER))
    assert deleted.status_code == 204
    assert await _statuses(container, rid) == 0
