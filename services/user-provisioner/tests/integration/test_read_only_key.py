"""A read-only key is reported once per member (403, not retryable) and never retried in a loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from oncall_contracts import UserProvisioningFailed
from pagerduty_sim.testing import RunningSimulator, run_simulator

pytestmark = pytest.mark.integration

READ_ONLY_KEY = "acme-Read-Only-Key-0004"


@pytest.fixture
def simulator() -> Iterator[RunningSimulator]:
    with run_simulator(
        ["acme:acme-Secret-Key-0001"],
        read_only_keys=[f"acme:{READ_ONLY_KEY}"],
        owners=["acme:owner@acme.example.com"],
    ) as sim:
        yield sim


async def test_a_read_only_key_is_reported_and_not_retried(harness: Any) -> None:
    rotation = harness.new_rotation_id()
    await harness.publish(
        [harness.integration(rotation, "acme", READ_ONLY_KEY), *harness.members(rotation, 5)]
    )

    async with harness.replica():
        await harness.eventually(lambda: _failures(harness, 5), 30, "five failure events")
        requests_when_failed = len(harness.sim.requests())
        await asyncio.sleep(2)  # several poll intervals: a hot loop would keep sending
        assert len(harness.sim.requests()) == requests_when_failed

    failures = [e.payload for e in await harness.results() if isinstance(e.payload, UserProvisioningFailed)]
    assert len(failures) == 5
    assert all(not f.retryable and "read-only" in f.reason and "403" in f.reason for f in failures)
    assert harness.people(harness.acme_key) == []
    posts = [r["status"] for r in harness.sim.requests() if r["method"] == "POST"]
    assert 1 <= len(posts) <= 4  # only those already in flight (concurrency 4) when the refusal came
    assert set(posts) == {403}


async def _failures(harness: Any, count: int) -> bool:
    return sum(isinstance(e.payload, UserProvisioningFailed) for e in await harness.results()) >= count
