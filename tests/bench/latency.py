"""Swap-to-PagerDuty latency at a steady rate of changes, and the PagerDuty requests they cost.

Each change reassigns one future shift of one of the rotations (round robin). Its latency runs from
the API's answer to the first moment the simulator's final schedule shows the new person for that
whole shift (polled every 50 ms).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from localsystem.api import RotationApi
from localsystem.pagerduty import PagerDutyView
from localsystem.timelines import parse_instant

POLL_S = 0.05
GIVE_UP_S = 30.0


@dataclass
class Target:
    rotation_id: str
    schedule_id: str
    members: list[str]
    shifts: list[dict[str, Any]]  # future shifts to reassign, in turn


@dataclass
class LatencyResult:
    latencies_s: list[float]
    changes: int
    not_seen: int
    api_errors: int
    requests: list[dict[str, Any]]


def run_changes(
    api: RotationApi,
    pagerduty: PagerDutyView,
    targets: list[Target],
    user_ids: dict[str, str],
    rate_per_s: float,
    duration_s: float,
) -> LatencyResult:
    total = int(rate_per_s * duration_s)
    lock = threading.Lock()
    latencies: list[float] = []
    failures = {"not_seen": 0, "api": 0}
    log_start = len(pagerduty.requests())

    def change(index: int) -> None:
        target = targets[index % len(targets)]
        shift = target.shifts[(index // len(targets)) % len(target.shifts)]
        person = _next_person(target, shift)
        try:
            api.reassign_shift(target.rotation_id, shift["id"], primary=person)
        except Exception:
            with lock:
                failures["api"] += 1
            return
        answered = time.monotonic()
        shift["primary"] = person
        seen = _wait_until_shown(pagerduty, target.schedule_id, shift, user_ids[person])
        with lock:
            if seen is None:
                failures["not_seen"] += 1
            else:
                latencies.append(seen - answered)

    with ThreadPoolExecutor(max_workers=64) as pool:
        started = time.monotonic()
        for index in range(total):
            time.sleep(max(0.0, started + index / rate_per_s - time.monotonic()))
            pool.submit(change, index)
    time.sleep(3.0)  # let trailing writes land before the request log is read
    return LatencyResult(
        latencies, total, failures["not_seen"], failures["api"], pagerduty.requests()[log_start:]
    )


def _next_person(target: Target, shift: dict[str, Any]) -> str:
    members = target.members
    return members[(members.index(shift["primary"]) + 1) % len(members)]


def _wait_until_shown(
    pagerduty: PagerDutyView, schedule_id: str, shift: dict[str, Any], user_id: str
) -> float | None:
    start, end = parse_instant(shift["start"]), parse_instant(shift["end"])
    deadline = time.monotonic() + GIVE_UP_S
    while time.monotonic() < deadline:
        entries = pagerduty.final_user_ids(schedule_id, start, end)
        if len(entries) == 1 and entries[0][2] == user_id:
            return time.monotonic()
        time.sleep(POLL_S)
    return None


def future_shifts(api: RotationApi, rotation_id: str, weeks: int) -> list[dict[str, Any]]:
    """Whole future shifts, from two weeks ahead (clear of the current one)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    shifts = api.shifts(rotation_id, now + timedelta(days=14), now + timedelta(weeks=weeks))
    return [s for s in shifts if s["primary"] and parse_instant(s["start"]) >= now + timedelta(days=14)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
