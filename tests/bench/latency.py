"""Swap-to-PagerDuty latency at a steady rate of changes, and the PagerDuty requests they cost.

Each change reassigns one future shift of one of the rotations (round robin). Its latency runs from
the API's answer to the simulator applying the write after which its final schedule shows the new
person for that whole shift. One watcher per schedule long-polls the final schedule over the span of
its pending changes (`/_sim/schedules/{id}/final?after_revision=N&timeout_s=WAIT_S`: the simulator
answers when the schedule is next written, so watching costs one request per write, not ten a second
per schedule, and takes little of the CPU the measured system needs) and notes the schedule revisions
between which a change became visible: the last rendered without it and the first with it. After the
run the simulator's record of applied writes (`/_sim/schedules/{id}/writes`) names the write that
produced it: a write in that span applied after the answer. When one rendering covered several such
writes, the latest is taken (an upper bound, counted as ambiguous). Both clocks are this host's
`time.monotonic()`. The latency to the watcher seeing it (answer to the long-poll answer showing it:
the write plus rendering and HTTP) is kept as a cross-check.
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

WAIT_S = 1.0  # the longest one long-poll waits (pending changes are given up between two)
GIVE_UP_S = 30.0


@dataclass
class Target:
    rotation_id: str
    schedule_id: str
    members: list[str]
    shifts: list[dict[str, Any]]  # future shifts to reassign, in turn
    view: PagerDutyView  # the simulator as the schedule's account sees it


Sample = tuple[float, float]  # (seconds into the run the API answered, latency in seconds)


@dataclass
class LatencyResult:
    applied: list[Sample]  # to the applied write that made the change visible (the measurement)
    seen_by_watcher: list[Sample]  # to the watcher's long-poll answer showing it (the cross-check)
    unmatched: int  # seen by the watcher, yet no applied write explains it: in `seen_by_watcher` only
    ambiguous: int  # several applied writes could have shown it; the latest counted (an upper bound)
    changes: int
    not_seen: int
    api_errors: int
    requests: list[dict[str, Any]]

    @property
    def latencies_s(self) -> list[float]:
        return [latency for _, latency in self.applied]

    @property
    def seen_by_watcher_latencies_s(self) -> list[float]:
        return [latency for _, latency in self.seen_by_watcher]

    def windows(self, seconds: float, *, seen_by_watcher: bool = False) -> list[list[float]]:
        """The latencies of the changes answered in each `seconds` of the run, in order."""
        return windows(self.seen_by_watcher if seen_by_watcher else self.applied, seconds)


def windows(samples: list[Sample], seconds: float) -> list[list[float]]:
    count = int(max((at for at, _ in samples), default=0.0) // seconds) + 1
    grouped: list[list[float]] = [[] for _ in range(count)]
    for at, latency in samples:
        grouped[int(at // seconds)].append(latency)
    return grouped


@dataclass
class Pending:
    start: datetime
    end: datetime
    user_id: str
    answered: float  # time.monotonic() when the API answered
    not_shown_at: int | None = None  # the newest revision rendered without the change


@dataclass(frozen=True)
class Seen:
    """A change the watcher saw: at `shown_at` the final schedule showed it, at `not_shown_at` not yet."""

    schedule_id: str
    answered: float
    seen_s: float  # API answer -> the watcher's answer showing it (render and HTTP after the write)
    not_shown_at: int | None
    shown_at: int


@dataclass(frozen=True)
class AppliedWrite:
    revision: int
    monotonic: float  # when the simulator applied it (the host's time.monotonic())

    @classmethod
    def of(cls, raw: dict[str, Any]) -> AppliedWrite:
        return cls(int(raw["revision"]), float(raw["monotonic"]))


@dataclass(frozen=True)
class WriteMatch:
    latency_s: float
    candidates: int  # writes that could have made the change visible (1: exact)


def match_write(seen: Seen, writes: list[AppliedWrite]) -> WriteMatch | None:
    """The applied write after which the final schedule shows the change: one that produced a revision
    after `not_shown_at` and up to `shown_at`, applied after the API answered. Of several, the latest
    (no write before the answer can show the change; the latest bounds the latency from above)."""
    candidates = [
        write
        for write in writes
        if (seen.not_shown_at is None or write.revision > seen.not_shown_at)
        and write.revision <= seen.shown_at
        and write.monotonic >= seen.answered
    ]
    if not candidates:
        return None
    latest = max(candidates, key=lambda write: (write.revision, write.monotonic))
    return WriteMatch(latest.monotonic - seen.answered, len(candidates))


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
    seen: list[Seen]
    pending: dict[str, Pending] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    not_seen: int = 0
    rendered: Rendered | None = None
    stopping: bool = False
    _woken: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._woken = threading.Condition(self.lock)

    def expect(self, shift_id: str, pending: Pending) -> None:
        with self.lock:
            self.pending[shift_id] = pending
            self._woken.notify()

    def finish(self) -> None:
        """No more changes come: `run` returns once the pending ones are seen or given up."""
        with self.lock:
            self.stopping = True
            self._woken.notify()

    def run(self) -> None:
        while True:
            with self.lock:
                while not self.pending and not self.stopping:
                    self._woken.wait()  # idle: no requests at all
                if not self.pending:
                    return
            self._look_once()

    def _look_once(self) -> None:
        """Judge the pending changes against one rendering of the final schedule covering them all:
        the last one, while some were not yet judged against it; a fresh one when the window grew;
        else the next one, long-polled (the simulator answers when the schedule is next written, or
        "unchanged" after WAIT_S, when the changes waiting too long are given up)."""
        with self.lock:
            waiting = dict(self.pending)
        if not waiting:
            return
        since = min(p.start for p in waiting.values())
        until = max(p.end for p in waiting.values())
        cached = self.rendered
        if cached is None or not (cached.since <= since and until <= cached.until):
            rendered = self._render(since, until, None)
        elif all(p.not_shown_at == cached.revision for p in waiting.values()):
            rendered = self._render(since, until, cached.revision)
        else:
            rendered = cached
        self._judge(waiting, rendered, time.monotonic())

    def _render(self, since: datetime, until: datetime, after: int | None) -> Rendered:
        """The final schedule over [since, until): at once, or (`after`) the first revision newer than
        `after`, the cached one when none came within WAIT_S."""
        if after is None:
            revision, raw = self.pagerduty.final_user_ids_unless(self.schedule_id, since, until, None)
        else:
            revision, raw = self.pagerduty.final_user_ids_after(self.schedule_id, since, until, after, WAIT_S)
        if raw is None and self.rendered is not None:
            return self.rendered
        entries = [(parse_instant(a), parse_instant(b), who) for a, b, who in raw or []]
        self.rendered = Rendered(revision, since, until, entries)
        return self.rendered

    def _judge(self, waiting: dict[str, Pending], rendered: Rendered, now: float) -> None:
        with self.lock:
            for shift_id, pending in waiting.items():
                if self.pending.get(shift_id) is not pending:
                    continue  # changed again meanwhile; the newer change is measured
                if _shown(rendered.entries, pending):
                    self.seen.append(
                        Seen(
                            self.schedule_id,
                            pending.answered,
                            now - pending.answered,
                            pending.not_shown_at,
                            rendered.revision,
                        )
                    )
                    del self.pending[shift_id]
                elif now - pending.answered > GIVE_UP_S:
                    self.not_seen += 1
                    del self.pending[shift_id]
                else:
                    pending.not_shown_at = rendered.revision


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
    seen: list[Seen] = []
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

    threads = [threading.Thread(target=w.run, daemon=True) for w in watchers.values()]
    for thread in threads:
        thread.start()
    with ThreadPoolExecutor(max_workers=16) as pool:
        started = time.monotonic()
        for index in range(total):
            time.sleep(max(0.0, started + index / rate_per_s - time.monotonic()))
            pool.submit(change, index)
    for watcher in watchers.values():
        watcher.finish()
    for thread in threads:
        thread.join(GIVE_UP_S + 5)
    not_seen = sum(w.not_seen for w in watchers.values())
    writes = {
        w.schedule_id: [AppliedWrite.of(raw) for raw in w.pagerduty.schedule_writes(w.schedule_id)]
        for w in watchers.values()
    }
    matched = match_all(seen, writes, started)
    return LatencyResult(
        applied=matched.applied,
        seen_by_watcher=[(s.answered - started, s.seen_s) for s in seen],
        unmatched=matched.unmatched,
        ambiguous=matched.ambiguous,
        changes=total,
        not_seen=not_seen,
        api_errors=api_errors[0],
        requests=pagerduty.requests()[log_start:],
    )


@dataclass
class Matched:
    applied: list[Sample]
    unmatched: int = 0
    ambiguous: int = 0


def match_all(seen: list[Seen], writes: dict[str, list[AppliedWrite]], started: float) -> Matched:
    """Each seen change's latency to its applied write, as (seconds into the run answered, latency)."""
    matched = Matched(applied=[])
    for change in seen:
        match = match_write(change, writes.get(change.schedule_id, []))
        if match is None:
            matched.unmatched += 1
            continue
        if match.candidates > 1:
            matched.ambiguous += 1
        matched.applied.append((change.answered - started, match.latency_s))
    return matched


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
