"""The provisioner on the real broker and PostgreSQL, against the PagerDuty simulator."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from oncall_contracts import PagerDutyUserProvisioned

pytestmark = pytest.mark.integration


async def test_200_members_become_exactly_200_users_within_the_rate_limit(harness: Any) -> None:
    rotation = harness.new_rotation_id()
    await harness.publish([harness.integration(rotation, "acme", harness.acme_key), *harness.members(rotation, 200)])

    async with harness.replica():
        await harness.eventually(lambda: _count_is(harness, harness.acme_key, 200), 90, "200 users in PagerDuty")
        await harness.eventually(lambda: _provisioned_events_are(harness, 200), 30, "200 provisioned events")

    emails = harness.user_emails(harness.acme_key)
    assert len(emails) == len(set(emails)) == 200
    served = harness.sim.requests()
    assert all(request["status"] != 429 for request in served)
    assert _max_requests_in_any_minute(served) <= 960
    events = [e.payload for e in await harness.results() if isinstance(e.payload, PagerDutyUserProvisioned)]
    assert {event.email for event in events} == set(emails)
    ids = {user["email"]: user["id"] for user in harness.sim.users(harness.acme_key)}
    assert all(ids[event.email] == event.user_id for event in events)
    assert all(event.account.key == "us:acme" for event in events)


async def _count_is(harness: Any, api_key: str, count: int) -> bool:
    return len(harness.sim.users(api_key)) >= count


async def _provisioned_events_are(harness: Any, count: int) -> bool:
    return sum(isinstance(e.payload, PagerDutyUserProvisioned) for e in await harness.results()) >= count


def _max_requests_in_any_minute(served: list[dict]) -> int:
    from datetime import datetime, timedelta

    times = sorted(datetime.fromisoformat(str(request["time"])) for request in served)
    start, busiest = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= timedelta(minutes=1):
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest
