"""A PagerDuty user deleted by hand while on call: the system puts the person back without any change
made in the scheduler, within a minute; and a schedule write PagerDuty refuses because it names the
deleted user gets the user re-created and the schedule written again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from localsystem.api import RotationApi
from localsystem.convergence import ScheduleFeed, wait_until_converged
from localsystem.pagerduty import PagerDutyView
from localsystem.system import LocalSystem
from localsystem.walkthrough import (
    add_members,
    future_shift,
    last_monday_0900,
    split_primary_backup,
    wait_for_new_schedules,
)

pytestmark = pytest.mark.e2e

ZONE = "Europe/Berlin"
HORIZON_DAYS = 28
COMPARED = timedelta(days=HORIZON_DAYS - 2)
PEOPLE = [("uma@example.com", "Uma"), ("vic@example.com", "Vic"), ("wes@example.com", "Wes")]
BACK_WITHIN_S = 60.0  # the target: a deleted user is back in the schedule within a minute


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


@pytest.fixture(scope="module")
def rotation(
    local_system: LocalSystem, api: RotationApi, pagerduty: PagerDutyView
) -> tuple[str, ScheduleFeed]:
    """A daily rotation of three with its own PagerDuty schedule, in step."""
    created = api.create_rotation(
        "User drift", ZONE, last_monday_0900(ZONE), period="P1D", horizon_days=HORIZON_DAYS
    )
    rotation_id = str(created["id"])
    add_members(api, rotation_id, PEOPLE, ZONE)
    known = {s["id"] for s in pagerduty.schedules()}
    api.configure_own(rotation_id, local_system.config.account.subdomain, local_system.config.account.api_key)
    primary, _ = split_primary_backup(wait_for_new_schedules(pagerduty, known, count=1), "User drift")
    feed = ScheduleFeed(primary, ((rotation_id, "primary"),))
    _assert_in_step(api, pagerduty, feed, timeout_s=90)
    return rotation_id, feed


def _assert_in_step(
    api: RotationApi, pagerduty: PagerDutyView, feed: ScheduleFeed, *, timeout_s: float
) -> None:
    [comparison] = wait_until_converged(api, pagerduty, [feed], COMPARED, timeout_s=timeout_s)
    assert comparison.expected, "the scheduler shows nobody on call"
    assert comparison.matches, comparison.explain()


def _user_id(pagerduty: PagerDutyView, email: str) -> str:
    [user_id] = [uid for uid, address in pagerduty.users_by_id().items() if address == email]
    return user_id


def _on_call_next(api: RotationApi, rotation_id: str) -> str:
    """The person on call now, or else the next one."""
    now = datetime.now(UTC)
    [entry, *_] = api.oncall(rotation_id, "primary", now, now + timedelta(days=2))
    return entry.who


def test_a_user_deleted_while_on_call_is_back_within_a_minute_without_a_change(
    api: RotationApi, pagerduty: PagerDutyView, rotation: tuple[str, ScheduleFeed]
) -> None:
    rotation_id, feed = rotation
    email = _on_call_next(api, rotation_id)
    deleted = _user_id(pagerduty, email)

    pagerduty.delete_user(deleted)
    started = time.monotonic()
    _assert_in_step(api, pagerduty, feed, timeout_s=BACK_WITHIN_S)

    assert time.monotonic() - started <= BACK_WITHIN_S
    assert _user_id(pagerduty, email) != deleted, "the person has a PagerDuty user again"
    emails = list(pagerduty.users_by_id().values())
    assert len(emails) == len(set(emails)), "no PagerDuty user is duplicated"


def test_a_write_refused_for_a_deleted_user_recreates_it_and_writes_again(
    api: RotationApi, pagerduty: PagerDutyView, rotation: tuple[str, ScheduleFeed]
) -> None:
    rotation_id, feed = rotation
    shift = future_shift(api, rotation_id, not_before=timedelta(days=2))
    email = str(shift["primary"])
    deleted = _user_id(pagerduty, email)
    # Listing users fails meanwhile, so only the refused write can tell the user is gone (the
    # provisioner creates users with POST and needs no listing for one user).
    pagerduty.faults(error_rate=1.0, path_prefix="/users", method="GET")
    try:
        pagerduty.delete_user(deleted)
        before = len(pagerduty.requests())
        other = next(person for person, _ in PEOPLE if person != email)
        api.reassign_shift(rotation_id, shift["id"], primary=other)
        refused = _wait_for_refused_write(pagerduty, feed.schedule_id, before)
        assert deleted in str(refused["body"]), "the refused write named the deleted user"
        _assert_in_step(api, pagerduty, feed, timeout_s=BACK_WITHIN_S)
    finally:
        pagerduty.faults()
    assert _user_id(pagerduty, email) != deleted


def _wait_for_refused_write(pagerduty: PagerDutyView, schedule_id: str, after: int) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for request in pagerduty.requests()[after:]:
            if request["method"] == "PUT" and schedule_id in request["path"] and request["status"] == 400:
                return request
        time.sleep(0.2)
    raise AssertionError("PagerDuty refused no write naming the deleted user")
