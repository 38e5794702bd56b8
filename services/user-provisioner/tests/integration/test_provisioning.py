"""The provisioner on the real broker and PostgreSQL, against the PagerDuty simulator."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from oncall_contracts import (
    Envelope,
    MemberRemoved,
    PagerDutyUserProvisioned,
    UserProvisioningFailed,
    registry,
)
from user_provisioner.migrate import SCHEMA

pytestmark = pytest.mark.integration


async def test_200_members_become_exactly_200_users_within_the_rate_limit(harness: Any) -> None:
    rotation = harness.new_rotation_id()
    await harness.publish(
        [harness.integration(rotation, "acme", harness.acme_key), *harness.members(rotation, 200)]
    )

    async with harness.replica():
        await harness.eventually(
            lambda: _count_is(harness, harness.acme_key, 200), 90, "200 users in PagerDuty"
        )
        await harness.eventually(lambda: _provisioned_events_are(harness, 200), 30, "200 provisioned events")

    emails = harness.user_emails(harness.acme_key)
    assert len(emails) == len(set(emails)) == 200
    served = harness.sim.requests()
    assert all(request["status"] != 429 for request in served)
    assert _max_requests_in_any_minute(served) <= 960
    posts = [r for r in served if r["method"] == "POST" and r["path"] == "/users"]
    assert len(posts) == 200  # one request per new user: nothing is refused
    assert all(post["status"] == 201 for post in posts)
    key_checks = [r for r in served if r["path"] == "/schedules/preview"]
    assert len(key_checks) == 1  # the key is checked once before its first use (with one GET /users)
    others = [r for r in served if r not in posts and r not in key_checks]
    assert all(r["method"] == "GET" and r["path"] == "/users" for r in others)
    assert not [r for r in others if "query=" in r["query"]]  # no lookup per user, only bulk pages
    assert len(others) <= 3 * 200 // 10  # a prefetch of at most 3 pages per batch of 10 or more users
    events = [e.payload for e in await harness.results() if isinstance(e.payload, PagerDutyUserProvisioned)]
    assert {event.email for event in events} == set(emails)
    ids = {user["email"]: user["id"] for user in harness.people(harness.acme_key)}
    assert all(ids[event.email] == event.user_id for event in events)
    assert all(event.account.key == "us:acme" for event in events)


async def _count_is(harness: Any, api_key: str, count: int) -> bool:
    return len(harness.people(api_key)) >= count


async def _provisioned_events_are(harness: Any, count: int) -> bool:
    return sum(isinstance(e.payload, PagerDutyUserProvisioned) for e in await harness.results()) >= count


def _max_requests_in_any_minute(served: list[dict[str, Any]]) -> int:
    times = sorted(datetime.fromisoformat(str(request["time"])) for request in served)
    start, busiest = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= timedelta(minutes=1):
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest


async def test_duplicates_replays_and_two_replicas_create_no_duplicate_user(
    harness: Any, tmp_path: Path
) -> None:
    rotation = harness.new_rotation_id()
    _create_user(harness, "Person 5", "PERSON005@Example.COM")
    envelopes = await harness.publish(
        [harness.integration(rotation, "acme", harness.acme_key), *harness.members(rotation, 60)]
    )
    await harness.publish_envelopes(envelopes)  # every event delivered twice

    async with harness.replica(), harness.replica():  # two replicas of one consumer group
        await harness.eventually(lambda: _provisioned_events_are(harness, 60), 60, "60 provisioned events")

    async with harness.replica(group_id="user-provisioner-replay"):  # the whole stream again
        await asyncio.sleep(3)
    fresh_database = f"sqlite:///{tmp_path / 'fresh.db'}"  # a replica that lost its mapping
    await SCHEMA.upgrade_async(fresh_database)
    fresh = {"database_url": fresh_database}
    async with harness.replica(group_id="user-provisioner-fresh", settings_overrides=fresh):
        await harness.eventually(lambda: _provisioned_events_are(harness, 120), 60, "60 more events")

    users = harness.people(harness.acme_key)
    assert len(users) == 60
    assert Counter(user["email"].lower() for user in users).most_common(1)[0][1] == 1
    adopted = next(user for user in users if user["email"] == "PERSON005@Example.COM")
    events = [e.payload for e in await harness.results() if isinstance(e.payload, PagerDutyUserProvisioned)]
    assert {event.user_id for event in events if event.email == "person005@example.com"} == {adopted["id"]}
    created = [
        r["body"]["user"]["email"]
        for r in harness.sim.requests()
        if r["method"] == "POST" and r["path"] == "/users" and r["status"] == 201
    ]
    assert len(created) == 60  # 59 by the provisioners, 1 by this test before they started
    assert "PERSON005@Example.COM" in created
    assert "person005@example.com" not in created


async def test_faults_500s_and_forced_429s_still_provision_every_user_once(harness: Any) -> None:
    rotation = harness.new_rotation_id()
    harness.sim.faults(error_rate=0.3, rate_limit_next=6, drop_rate=0.05, seed=11)
    await harness.publish(
        [harness.integration(rotation, "acme", harness.acme_key), *harness.members(rotation, 40)]
    )

    async with harness.replica():
        await harness.eventually(lambda: _provisioned_events_are(harness, 40), 90, "40 provisioned events")

    served = harness.sim.requests()
    assert sum(1 for r in served if r["status"] == 500) > 0
    assert sum(1 for r in served if r["status"] == 429) >= 6
    emails = harness.user_emails(harness.acme_key)
    assert sorted(emails) == sorted(f"person{i:03d}@example.com" for i in range(40))


async def test_an_invalid_key_is_reported_and_other_accounts_are_still_served(harness: Any) -> None:
    broken, healthy = harness.new_rotation_id(), harness.new_rotation_id()
    await harness.publish(
        [
            harness.integration(broken, "globex", "not-the-globex-key"),
            *harness.members(broken, 30, domain="globex.example"),
            harness.integration(healthy, "acme", harness.acme_key),
            *harness.members(healthy, 30),
        ]
    )

    async with harness.replica():
        await harness.eventually(lambda: _failures_are(harness, 30), 60, "30 failure events")
        await harness.eventually(lambda: _provisioned_events_are(harness, 30), 60, "30 provisioned events")

    failures = [e.payload for e in await harness.results() if isinstance(e.payload, UserProvisioningFailed)]
    assert {failure.email for failure in failures} == {f"person{i:03d}@globex.example" for i in range(30)}
    assert all(not failure.retryable and "does not accept" in failure.reason for failure in failures)
    assert all("401" in failure.reason for failure in failures)
    assert all(failure.account.key == "us:globex" for failure in failures)
    assert harness.people(harness.globex_key) == []
    assert len(harness.people(harness.acme_key)) == 30
    refused = [r for r in harness.sim.requests() if r["status"] == 401]
    assert len(refused) < 30  # the refusal stops the account's work: no request per member, no hot loop


async def test_a_member_added_after_the_integration_is_provisioned_and_removal_deletes_nobody(
    harness: Any,
) -> None:
    rotation = harness.new_rotation_id()
    first, second = harness.members(rotation, 2)
    await harness.publish([harness.integration(rotation, "acme", harness.acme_key), first])
    async with harness.replica():
        await harness.eventually(lambda: _provisioned_events_are(harness, 1), 30, "the first user")
        await harness.publish([second, MemberRemoved(rotation_id=rotation, email=first.email)])
        await harness.eventually(lambda: _provisioned_events_are(harness, 2), 30, "the second user")

    assert sorted(harness.user_emails(harness.acme_key)) == [first.email, second.email]
    assert not [r for r in harness.sim.requests() if r["method"] == "DELETE"]


async def test_undecodable_events_are_dead_lettered_and_the_consumer_keeps_going(harness: Any) -> None:
    rotation = harness.new_rotation_id()
    await harness.publish_raw(b"{not json", key=rotation.encode())
    await harness.publish(
        [harness.integration(rotation, "acme", harness.acme_key), *harness.members(rotation, 1)]
    )

    async with harness.replica():
        await harness.eventually(
            lambda: _provisioned_events_are(harness, 1), 30, "the user after the bad event"
        )

    dead = await harness.read_all(harness.topics.dead_letter("user-provisioner"))
    assert [value for _, value in dead] == [b"{not json"]
    headers = dead[0][0]
    assert headers["dlq-source-topic"] == harness.topics.rotation
    assert headers["dlq-reason"]


async def test_a_member_with_a_250_character_name_does_not_block_the_rotation(harness: Any) -> None:
    # Once such a name reached the provisioner's VARCHAR(200): the consumer nacked and got the event
    # again forever, and every later event of the partition waited behind it. The contract now
    # refuses it (an older producer's bytes still arrive): it is dead-lettered and the rotation moves on.
    rotation = harness.new_rotation_id()
    refused = Envelope.new(harness.members(rotation, 1, domain="long.example.com")[0], producer="test")
    document = json.loads(registry.encode(refused).value)
    document["payload"]["name"] = "N" * 250
    too_long = json.dumps(document).encode()
    await harness.publish_raw(too_long, key=rotation.encode())
    member = harness.members(rotation, 1)
    await harness.publish([harness.integration(rotation, "acme", harness.acme_key), *member])

    async with harness.replica():
        await harness.eventually(
            lambda: _provisioned_events_are(harness, 1), 30, "the user after the refused member"
        )

    assert harness.user_emails(harness.acme_key) == [member[0].email]
    dead = await harness.read_all(harness.topics.dead_letter("user-provisioner"))
    assert len(dead) == 1
    headers, value = dead[0]
    assert value == too_long
    assert headers["dlq-error-class"] == "oncall_contracts.errors.ContractError"
    assert headers["dlq-attempts"] == "1"  # bytes that do not decode are not retried
    assert "name" in headers["dlq-reason"]
    assert headers["dlq-source-topic"] == harness.topics.rotation


def _create_user(harness: Any, name: str, email: str) -> None:
    response = httpx.post(
        f"{harness.sim.base_url}/users",
        json={"user": {"type": "user", "name": name, "email": email, "time_zone": "UTC", "role": "user"}},
        headers={
            "Authorization": f"Token token={harness.acme_key}",
            "Accept": "application/vnd.pagerduty+json;version=2",
            "From": "owner@example.com",
        },
    )
    response.raise_for_status()


async def _failures_are(harness: Any, count: int) -> bool:
    return sum(isinstance(e.payload, UserProvisioningFailed) for e in await harness.results()) >= count


async def test_another_teams_junk_key_for_our_account_does_not_provision_our_people(harness: Any) -> None:
    ours, theirs = harness.new_rotation_id(), harness.new_rotation_id()
    [ada] = harness.members(ours, 1, domain="ours.example")
    [bob] = harness.members(theirs, 1, domain="theirs.example")
    await harness.publish([harness.integration(ours, "acme", harness.acme_key), ada])
    await harness.publish([harness.integration(theirs, "acme", "junk-key-for-acme"), bob])  # configured later
    [newcomer] = [m.model_copy(update={"email": "newcomer@ours.example"}) for m in harness.members(ours, 1)]
    await harness.publish([newcomer])

    async with harness.replica():
        await harness.eventually(
            lambda: _emails_in(harness, {ada.email, newcomer.email}), 60, "our people created with our key"
        )
        await harness.eventually(lambda: _failures_are(harness, 1), 60, "their member refused with their key")

    failures = [e.payload for e in await harness.results() if isinstance(e.payload, UserProvisioningFailed)]
    assert [failure.email for failure in failures] == [bob.email]
    assert bob.email not in harness.user_emails(harness.acme_key)


async def _emails_in(harness: Any, emails: set[str]) -> bool:
    return emails <= set(harness.user_emails(harness.acme_key))


async def test_a_key_that_opens_another_account_creates_nobody_and_maps_nobody(harness: Any) -> None:
    """A rotation configured before keys were checked, with the key of another account (globex) for
    acme: the provisioner checks the key before its first use, so nobody is created in globex and no
    globex id is kept as an acme mapping; the failure asks for the key again and is not retried."""
    rotation = harness.new_rotation_id()
    [ada] = harness.members(rotation, 1)
    await harness.publish([harness.integration(rotation, "acme", harness.globex_key), ada])

    async with harness.replica():
        await harness.eventually(lambda: _failures_are(harness, 1), 60, "the member refused")

    results = [e.payload for e in await harness.results()]
    [failure] = [r for r in results if isinstance(r, UserProvisioningFailed)]
    assert (failure.email, failure.retryable) == (ada.email, False)
    assert "subdomain check failed" in failure.reason
    assert "enter" in failure.reason
    assert not [r for r in results if isinstance(r, PagerDutyUserProvisioned)]
    assert ada.email not in harness.user_emails(harness.globex_key)
    posted = [r for r in harness.sim.requests() if r["method"] == "POST" and r["path"] == "/users"]
    assert ada.email not in [r["body"]["user"]["email"] for r in posted], "no request made with the key"
