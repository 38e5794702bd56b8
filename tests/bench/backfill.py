"""Bringing many rotations into PagerDuty from scratch: rotations and members exist first (and the
services have consumed their events), then every integration is configured at once and the clock runs
until PagerDuty has every schedule and the sync and the provisioner fall quiet."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from localsystem.api import RotationApi
from localsystem.convergence import ScheduleFeed, compare, window
from localsystem.pagerduty import PagerDutyView
from localsystem.system import DemoAccount
from localsystem.timelines import parse_instant
from localsystem.walkthrough import last_monday_0900

ZONE = "Europe/Paris"
MEMBERS = 5
HORIZON_DAYS = 182  # 26 weekly shifts
QUIET_S = 15.0
GIVE_UP_QUIET_S = 180.0


@dataclass(frozen=True)
class Plan:
    rotations: int

    @property
    def merged(self) -> int:
        return self.rotations // 10

    def backup(self, index: int) -> bool:
        return self.owner(index) % 2 == 0

    def owner(self, index: int) -> int:
        """The rotation whose schedule `index` writes into (itself unless merged)."""
        first_merged = self.rotations - self.merged
        return index - first_merged if index >= first_merged else index

    def coverage(self, index: int) -> tuple[str, str] | None:
        if index >= self.rotations - self.merged:
            return ("20:00", "08:00")
        return ("08:00", "20:00") if index < self.merged else None

    @property
    def schedules(self) -> int:
        owners = range(self.rotations - self.merged)
        return len(owners) + sum(1 for i in owners if self.backup(i))

    @property
    def minimal_requests(self) -> int:
        """One POST per user and per schedule, one PUT per merged layer (primary and backup)."""
        merged_puts = sum(
            2 if self.backup(i) else 1 for i in range(self.rotations - self.merged, self.rotations)
        )
        return self.rotations * MEMBERS + self.schedules + merged_puts


@dataclass
class BackfillResult:
    plan: Plan
    setup_s: float
    settle_s: float  # after the setup, until every consumer had caught up (not part of the backfill)
    configure_s: float  # configuring every integration through the API (part of the backfill)
    backfill_s: float
    requests: list[dict[str, Any]]
    schedules_found: int
    sample_checked: int
    sample_matching: int


def create_rotations(api: RotationApi, plan: Plan) -> list[str]:
    def create(index: int) -> str:
        rotation = api.create_rotation(
            f"bench {index:04d}",
            ZONE,
            last_monday_0900(ZONE),
            coverage=plan.coverage(index),
            backup=plan.backup(index),
            horizon_days=HORIZON_DAYS,
        )
        rotation_id = str(rotation["id"])
        for member in range(MEMBERS):
            api.add_member(
                rotation_id, f"m{member}.r{index:04d}@bench.example.com", f"M{member} R{index}", ZONE
            )
        return rotation_id

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(create, range(plan.rotations)))


def backfill(
    api: RotationApi,
    pagerduty: PagerDutyView,
    account: DemoAccount,
    plan: Plan,
    settle: Callable[[], float],
) -> BackfillResult:
    """`settle()` waits until the services have consumed everything published so far."""
    setup_started = time.monotonic()
    ids = create_rotations(api, plan)
    setup_s = time.monotonic() - setup_started
    settle_s = settle()
    log_start = len(pagerduty.requests())
    known = {s["id"] for s in pagerduty.schedules()}
    started = datetime.now(UTC)
    owners = [i for i in range(plan.rotations) if plan.owner(i) == i]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda i: api.configure_own(ids[i], account.subdomain, account.api_key), owners))
        merged = [i for i in range(plan.rotations) if plan.owner(i) != i]
        list(pool.map(lambda i: api.configure_merge(ids[i], ids[plan.owner(i)]), merged))
    configure_s = (datetime.now(UTC) - started).total_seconds()
    requests = _wait_until_quiet(pagerduty, log_start, plan.schedules)
    # The log stamps whole seconds: count the last request's second in full.
    finished = parse_instant(requests[-1]["time"]) + timedelta(seconds=1)
    schedules = [s for s in pagerduty.schedules() if s["id"] not in known]
    checked, matching = _check_sample(api, pagerduty, plan, ids, schedules)
    return BackfillResult(
        plan,
        setup_s,
        settle_s,
        configure_s,
        (finished - started).total_seconds(),
        requests,
        len(schedules),
        checked,
        matching,
    )


def _wait_until_quiet(
    pagerduty: PagerDutyView, log_start: int, expected_schedules: int, limit_s: float = 3600
) -> list[dict[str, Any]]:
    """The backfill's requests once every expected schedule was created and no request came for
    QUIET_S seconds, or once nothing happened for GIVE_UP_QUIET_S (the caller reports what is missing).
    The log (with bodies) grows large, so it is read only every QUIET_S seconds; the end time comes
    from the log's own timestamps."""
    deadline = time.monotonic() + limit_s
    last_count, quiet_for = -1, 0.0
    while time.monotonic() < deadline:
        time.sleep(QUIET_S)
        requests = pagerduty.requests()[log_start:]
        quiet_for = quiet_for + QUIET_S if requests and len(requests) == last_count else 0.0
        last_count = len(requests)
        created = sum(
            1
            for r in requests
            if r["method"] == "POST" and r["path"] == "/schedules" and r["status"] in (200, 201)
        )
        if quiet_for and (created >= expected_schedules or quiet_for >= GIVE_UP_QUIET_S):
            return requests
    raise TimeoutError("the backfill did not fall quiet within an hour")


def _check_sample(
    api: RotationApi,
    pagerduty: PagerDutyView,
    plan: Plan,
    ids: list[str],
    schedules: list[dict[str, Any]],
    size: int = 40,
) -> tuple[int, int]:
    """Compare a random sample of primary schedules (own and merged) with the scheduler, to the second."""
    by_name = {s["name"]: s["id"] for s in schedules}
    population = [i for i in range(plan.rotations) if plan.owner(i) == i]
    owners = random.Random(7).sample(population, min(size, len(population)))
    since, until = window(timedelta(days=HORIZON_DAYS - 2))
    matching = 0
    for owner in owners:
        sources = tuple((ids[i], "primary") for i in range(plan.rotations) if plan.owner(i) == owner)
        schedule_id = by_name.get(f"bench {owner:04d}")
        if schedule_id and compare(api, pagerduty, ScheduleFeed(schedule_id, sources), since, until).matches:
            matching += 1
    return len(owners), matching
