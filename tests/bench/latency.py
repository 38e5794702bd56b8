"""Swap-to-PagerDuty latency at a steady rate of changes, and the PagerDuty requests they cost.

Each change reassigns one future shift of one of the rotations (round robin). Its latency runs from
the API's answer to the first moment the simulator's final schedule shows the new person for that
whole shift. One watcher per schedule polls the final schedule every POLL_S over the span of its
pending changes, so the measuring load on the simulator stays bounded whatever the latency.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from localsystem.api import RotationApi
from localsystem.pagerduty import PagerDutyView
from localsystem.timelines import parse_instant

POLL_S = 0.1
GIVE_UP_S = 30.0


@dataclass
class Target:
    rotation_id: str
    schedule_id: str
    members: list[str]
    shifts: list[dict[str, Any]]  # future shifts to reassign, in turn
    view: PagerDutyView  # the simulator as the schedule's account sees it


@dataclass
class LatencyResult:
    seen: list[tuple[float, float]]  # (seconds into the run the API answered, latency in seconds)
    changes: int
    not_seen: int
    api_errors: int
    requests: list[dict[str, Any]]

    @property
    def latencies_s(self) -> list[float]:
        return [latency for _, latency in self.seen]

    def windows(self, seconds: float) -> list[list[float]]:
        """The latencies of the changes answered in each `seconds` of the run, in order."""
        count = int(max((at for at, _ in self.seen), default=0.0) // seconds) + 1
        grouped: list[list[float]] = [[] for _ in range(count)]
        for at, latency in self.seen:
            grouped[int(at // seconds)].append(latency)
        return grouped


@dataclass
class Pending:
    start: datetime
    end: datetime
    user_id: str
    answered: float


@dataclass
class Rendered:
    """The final schedule over [since, until) as the simulator rendered it at `revision`."""

    revision: int
    since: datetime
    until: datetime
    entries: list[tuple[datetime, datetime, str]]


@dataclass
class ScheduleWatcher:
    pagerduty: PagerDutyView
    schedule_id: str
    seen: list[tuple[float, float]]  # (answered, latency)
    pending: dict[str, Pending] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    not_seen: int = 0
    rendered: Rendered | None = None

    def expect(self, shift_id: str, pending: Pending) -> None:
        with self.lock:
            self.pending[shift_id] = pending

    def _final(self, since: datetime, until: datetime) -> list[tuple[datetime, datetime, str]]:
        """The final schedule covering [since, until), re-rendered only when the schedule was written
        since the last look (or the window grew): polling every POLL_S then costs the simulator almost
        nothing, so measuring does not take the CPU the measured system needs."""
        cached = self.rendered
        covered = cached is not None and cached.since <= since and until <= cached.until
        known = cached.revision if cached is not None and covered else None
        revision, raw = self.pagerduty.final_user_ids_unless(self.schedule_id, since, until, known)
        if raw is None and cached is not None:
            return cached.entries
        entries = [(parse_instant(a), parse_instant(b), who) for a, b, who in raw or []]
        self.rendered = Rendered(revision, since, until, entries)
        return entries

    def run(self, stop: threading.Event) -> None:
        while not (stop.is_set() and not self.pending):
            self._poll_once()
            time.sleep(POLL_S)

    def _poll_once(self) -> None:
        with self.lock:
            waiting = dict(self.pending)
        if not waiting:
            return
        since = min(p.start for p in waiting.values())
        until = max(p.end for p in waiting.values())
        entries = self._final(since, until)
        now = time.monotonic()
        with self.lock:
            for shift_id, pending in waiting.items():
                if self.pending.get(shift_id) is not pending:
                    continue  # changed again meanwhile; the newer change is measured
                if _shown(entries, pending):
                    self.seen.append((pending.answered, now - pending.answered))
                    del self.pending[shift_id]
                elif now - pending.answered > GIVE_UP_S:
                    self.not_seen += 1
                    del self.pending[shift_id]


def _shown(entries: list[tuple[datetime, datetime, str]], pending: Pending) -> bool:
    return any(a <= pending.start and pending.end <= b and who == pending.user_id for a, b, who in entries)


def run_changes(
    api: RotationApi,
    pagerduty: PagerDutyView,
    targets: list[Target],
    user_ids: dict[str, str],
    rate_per_s: float,
    duration_s: float,
) -> LatencyResult:
    total = int(rate_per_s * duration_s)
    seen: list[tuple[float, float]] = []
    watchers = {t.schedule_id: ScheduleWatcher(t.view, t.schedule_id, seen) for t in targets}
    api_errors = [0]
    log_start = len(pagerduty.requests())

    def change(index: int) -> None:
        target = targets[index % len(targets)]
        shift = target.shifts[(index // len(targets)) % len(target.shifts)]
        person = _next_person(target, shift)
        try:
            api.reassign_shift(target.rotation_id, shift["id"], primary=person)
        except Exception:
            api_errors[0] += 1
            return
        answered = time.monotonic()
        shift["primary"] = person
        pending = Pending(
            parse_instant(shift["start"]), parse_instant(shift["end"]), user_ids[person], answered
        )
        watchers[target.schedule_id].expect(shift["id"], pending)

    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in watchers.values()]
    for thread in threads:
        thread.start()
    with ThreadPoolExecutor(max_workers=16) as pool:
        started = time.monotonic()
        for index in range(total):
            time.sleep(max(0.0, started + index / rate_per_s - time.monotonic()))
            pool.submit(change, index)
    stop.set()
    for thread in threads:
        thread.join(GIVE_UP_S + 5)
    not_seen = sum(w.not_seen for w in watchers.values())
    answered_in_run = [(answered - started, latency) for answered, latency in seen]
    return LatencyResult(answered_in_run, total, not_seen, api_errors[0], pagerduty.requests()[log_start:])


def _next_person(target: Target, shift: dict[str, Any]) -> str:
    members = target.members
    return members[(members.index(shift["primary"]) + 1) % len(members)]


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
