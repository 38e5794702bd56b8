"""The product's integration page, step by step, through the public REST API of the running system.

After every step the system must become quiet and PagerDuty (the simulator) must show exactly the
scheduler's timeline from now to the horizon, to the second.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from localsystem.api import RotationApi
from localsystem.convergence import Comparison, ScheduleFeed, wait_until_converged
from localsystem.pagerduty import PagerDutyView
from localsystem.system import LocalSystem
from localsystem.timelines import parse_instant
from localsystem.walkthrough import (
    add_members,
    future_shift,
    last_monday_0900,
    split_primary_backup,
    swap_primary_and_backup,
    swappable_shifts,
    wait_for_new_schedules,
    wait_for_reported_schedules,
)
from oncall_platform.tokens import DEVELOPMENT_JWT_SECRET, mint_token

pytestmark = pytest.mark.e2e

ZONE = "Europe/Berlin"
HORIZON_DAYS = 42
COMPARED = timedelta(days=HORIZON_DAYS - 2)  # now .. horizon, clear of the last partly allocated day
DAY, NIGHT = ("08:00", "20:00"), ("20:00", "08:00")
EUROPE = [("ana@example.com", "Ana"), ("ben@example.com", "Ben"), ("cleo@example.com", "Cleo")]
AMERICAS = [("dan@example.com", "Dan"), ("eve@example.com", "Eve"), ("fay@example.com", "Fay")]


@pytest.fixture(scope="module")
def api(local_system: LocalSystem) -> Iterator[RotationApi]:
    client = RotationApi(local_system.api_url, local_system.token("lead@example.com"))
    yield client
    client.close()


@pytest.fixture(scope="module")
def pagerduty(local_system: LocalSystem) -> Iterator[PagerDutyView]:
    view = PagerDutyView(local_system.simulator_url, local_system.config.account.api_key)
    yield view
    view.close()


def assert_in_step(api: RotationApi, pagerduty: PagerDutyView, feeds: list[ScheduleFeed]) -> None:
    comparisons: list[Comparison] = wait_until_converged(api, pagerduty, feeds, COMPARED, timeout_s=90)
    for comparison in comparisons:
        assert comparison.expected, f"the scheduler shows nobody on call for {comparison.feed}"
        assert comparison.matches, comparison.explain()


def create_follow_the_sun(api: RotationApi, name: str, coverage: tuple[str, str]) -> str:
    rotation = api.create_rotation(
        name, ZONE, last_monday_0900(ZONE), coverage=coverage, backup=True, horizon_days=HORIZON_DAYS
    )
    return str(rotation["id"])


def writes_to(pagerduty: PagerDutyView, schedule_ids: set[str], after_index: int) -> list[str]:
    return [
        f"{r['method']} {r['path']}"
        for r in pagerduty.requests()[after_index:]
        if r["method"] in {"POST", "PUT", "DELETE"} and any(sid in r["path"] for sid in schedule_ids)
    ]


def _span(*shifts: dict[str, Any]) -> tuple[datetime, datetime]:
    return min(parse_instant(s["start"]) for s in shifts), max(parse_instant(s["end"]) for s in shifts)


def test_the_integration_walkthrough(
    local_system: LocalSystem, api: RotationApi, pagerduty: PagerDutyView
) -> None:
    account = local_system.config.account
    europe = create_follow_the_sun(api, "Follow the sun: Europe", DAY)
    add_members(api, europe, EUROPE, ZONE)

    # 1. Set up PagerDuty sync: a new schedule named after the rotation, and the backup schedule.
    known = {s["id"] for s in pagerduty.schedules()}
    api.configure_own(europe, account.subdomain, account.api_key)
    created = wait_for_new_schedules(pagerduty, known, count=2)
    primary, backup = split_primary_backup(created, "Follow the sun: Europe")
    assert backup is not None, "a rotation with a backup pattern gets a second PagerDuty schedule"
    assert {u for u in pagerduty.users_by_id().values()} >= {email for email, _ in EUROPE}
    assert_in_step(
        api,
        pagerduty,
        [ScheduleFeed(primary, ((europe, "primary"),)), ScheduleFeed(backup, ((europe, "backup"),))],
    )
    reported = wait_for_reported_schedules(api, europe, {"primary", "backup"})
    assert reported == {"primary": primary, "backup": backup}, "the integration page links both schedules"

    # 2. Merge a second rotation into the shared schedule: its own layer, covering the night.
    americas = create_follow_the_sun(api, "Follow the sun: Americas", NIGHT)
    add_members(api, americas, AMERICAS, ZONE)
    known = {s["id"] for s in pagerduty.schedules()}
    api.configure_merge(americas, europe)
    merged_primary = ScheduleFeed(primary, ((europe, "primary"), (americas, "primary")))
    merged_backup = ScheduleFeed(backup, ((europe, "backup"), (americas, "backup")))
    assert_in_step(api, pagerduty, [merged_primary, merged_backup])
    assert {s["id"] for s in pagerduty.schedules()} == known, "a merge creates no new schedule"

    # 3. A new member becomes a PagerDuty user (once) and takes turns in PagerDuty too.
    api.add_member(americas, "gus@example.com", "Gus", ZONE)
    assert_in_step(api, pagerduty, [merged_primary, merged_backup])
    emails = list(pagerduty.users_by_id().values())
    assert emails.count("gus@example.com") == 1
    assert len(emails) == len(set(emails)), "no PagerDuty user is duplicated"

    # 4. A swap one holder asks for shows up in PagerDuty once the other holder accepts it.
    mine, theirs = swappable_shifts(api, europe, not_before=timedelta(days=2))
    secret = local_system.config.jwt_secret or DEVELOPMENT_JWT_SECRET
    asker = RotationApi(local_system.api_url, mint_token(secret, mine["primary"]))
    asked = RotationApi(local_system.api_url, mint_token(secret, theirs["primary"]))
    request = asker.ask_swap(europe, mine["id"], theirs["id"])
    assert [r["id"] for r in asked.shift_requests(europe)] == [request["id"]]
    assert_in_step(api, pagerduty, [merged_primary, merged_backup])  # nothing changed hands yet
    asked.decide_request(europe, request["id"], "accept")
    swapped = {s["id"]: s["primary"] for s in api.shifts(europe, *_span(mine, theirs))}
    assert (swapped[mine["id"]], swapped[theirs["id"]]) == (theirs["primary"], mine["primary"])
    assert_in_step(api, pagerduty, [merged_primary, merged_backup])
    asker.close()
    asked.close()

    # 4b. Europe's administrator ends the merge: the shared schedule shows Europe alone again.
    assert [m["rotation_id"] for m in api.merges(europe)] == [americas]
    api.end_merge(europe, americas)
    assert_in_step(
        api,
        pagerduty,
        [ScheduleFeed(primary, ((europe, "primary"),)), ScheduleFeed(backup, ((europe, "backup"),))],
    )

    # 5. Changing the configuration: the Americas rotation leaves the shared schedule for its own.
    known = {s["id"] for s in pagerduty.schedules()}
    api.configure_own(americas, account.subdomain, account.api_key, schedule_name="Americas nights")
    own = wait_for_new_schedules(pagerduty, known, count=2)
    americas_primary, americas_backup = split_primary_backup(own, "Americas nights")
    assert americas_backup is not None
    assert_in_step(
        api,
        pagerduty,
        [
            ScheduleFeed(primary, ((europe, "primary"),)),
            ScheduleFeed(backup, ((europe, "backup"),)),
            ScheduleFeed(americas_primary, ((americas, "primary"),)),
            ScheduleFeed(americas_backup, ((americas, "backup"),)),
        ],
    )

    # 6. Delete and stop PagerDuty updates: later changes to Europe write nothing to its schedules,
    #    which stay as they were, while Americas keeps syncing.
    api.remove_integration(europe)
    pause_index = len(pagerduty.requests())
    swap_primary_and_backup(api, europe, future_shift(api, europe, not_before=timedelta(days=3), index=1))
    swap_primary_and_backup(api, americas, future_shift(api, americas, not_before=timedelta(days=3)))
    assert_in_step(
        api,
        pagerduty,
        [
            ScheduleFeed(americas_primary, ((americas, "primary"),)),
            ScheduleFeed(americas_backup, ((americas, "backup"),)),
        ],
    )
    assert writes_to(pagerduty, {primary, backup}, pause_index) == []
    assert {primary, backup} <= {s["id"] for s in pagerduty.schedules()}, "the schedules are left in place"

    # 7. Every service's /metrics counted the walkthrough: the changes reached PagerDuty (with their
    #    latency), the writes and the users were PagerDuty requests, and the API timed its requests.
    scraped = {
        name: _scrape(local_system.url(name)) for name in local_system.ports if name != "pagerduty-sim"
    }
    assert _total(scraped["pd-sync-service"], "oncall_change_to_pagerduty_seconds_count") > 0
    assert _total(scraped["pd-sync-service"], "oncall_pagerduty_requests_total", method="PUT") > 0
    assert _total(scraped["user-provisioner"], "oncall_pagerduty_requests_total", method="POST") > 0
    assert _total(scraped["pd-sync-service"], "oncall_events_folded_total") > 0
    assert _total(scraped["rotation-service"], "oncall_outbox_published_total") > 0
    assert (
        _total(
            scraped["rotation-service"], "oncall_http_request_duration_seconds_count", route="/v1/rotations"
        )
        > 0
    )
    assert "oncall_http_request_duration_seconds" in {f.name for f in scraped["oncall-web"]}
    for families in scraped.values():
        assert account.api_key not in str([s for f in families for s in f.samples])


def _scrape(base_url: str) -> list[Any]:
    response = httpx.get(f"{base_url}/metrics", timeout=10)
    assert response.status_code == 200
    return list(text_string_to_metric_families(response.text))


def _total(families: list[Any], sample_name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in families
        for sample in family.samples
        if sample.name == sample_name and labels.items() <= sample.labels.items()
    )
