"""Provisioning outcomes go through the platform outbox, in the transaction that records the mapping."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from oncall_contracts import PagerDutyUserProvisioned
from user_provisioner.bootstrap import bootstrap
from user_provisioner.service_layer.worker import WorkerOptions

pytestmark = pytest.mark.integration


async def _provisioned_events(harness: Any) -> list[PagerDutyUserProvisioned]:
    return [e.payload for e in await harness.results() if isinstance(e.payload, PagerDutyUserProvisioned)]


async def test_a_result_recorded_before_a_crash_is_published_by_the_next_replica(harness: Any) -> None:
    rotation = harness.new_rotation_id()
    members = harness.members(rotation, 3)
    await harness.publish([harness.integration(rotation, "acme", harness.acme_key), *members])

    # A replica that provisions but dies before its relay publishes anything.
    crashed = bootstrap(harness.settings(), worker_options=WorkerOptions(poll_interval=0.2))
    await crashed.broker.start()
    worker = asyncio.create_task(crashed.worker.run())

    async def all_recorded() -> bool:
        ids = [await crashed.store.provisioned_user_id("us:acme", m.email) for m in members]
        return all(ids)

    try:
        await harness.eventually(all_recorded, 60, "three users recorded")
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        await crashed.broker.stop()
        await crashed.directories.aclose()
        await crashed.engine.dispose()
    assert await _provisioned_events(harness) == []  # PagerDuty answered; nothing was published yet
    assert len(harness.user_emails(harness.acme_key)) == 3

    async with harness.replica():

        async def all_published() -> bool:
            return len(await _provisioned_events(harness)) >= 3

        await harness.eventually(all_published, 60, "the recorded results published")

    events = await _provisioned_events(harness)
    assert sorted(e.email for e in events) == sorted(m.email for m in members)
    ids = {user["email"]: user["id"] for user in harness.people(harness.acme_key)}
    assert all(ids[e.email] == e.user_id for e in events)
    assert len(harness.user_emails(harness.acme_key)) == 3  # the next replica created nobody again
