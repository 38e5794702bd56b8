"""The record of applied schedule writes: per schedule, when each write was applied and the revision
it produced (a simulator-only measurement aid, served under `/_sim/`; PagerDuty has no such thing).

Times are real, not the simulated clock: `applied_at` is wall-clock seconds since the epoch that never
steps backwards (the wall time at start plus monotonic time since), and `monotonic` is the host's
`time.monotonic()`, comparable with any other process's monotonic readings on the same machine.

Watchers can wait for a schedule's next write (`changed`) instead of polling it: the event loop that
applies writes sets the schedule's event, so a long-poll wakes without any loop of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

# A schedule written more often than this keeps only its newest writes (memory stays bounded).
MAX_WRITES_PER_SCHEDULE = 10_000


class SteadyWallClock:
    """Wall time that moves with the monotonic clock, so an NTP step cannot reorder two readings."""

    def __init__(self) -> None:
        self._wall_anchor = time.time()
        self._monotonic_anchor = time.monotonic()

    def read(self) -> tuple[float, float]:
        """(steady wall seconds since the epoch, monotonic seconds), from one monotonic reading."""
        monotonic = time.monotonic()
        return self._wall_anchor + (monotonic - self._monotonic_anchor), monotonic


@dataclass(frozen=True)
class AppliedWrite:
    revision: int
    applied_at: float
    monotonic: float
    operation: str

    def json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "applied_at": self.applied_at,
            "monotonic": self.monotonic,
            "operation": self.operation,
        }


@dataclass
class WriteLog:
    """Applied writes per (account subdomain, schedule id), oldest first."""

    clock: SteadyWallClock = field(default_factory=SteadyWallClock)
    _writes: dict[tuple[str, str], deque[AppliedWrite]] = field(default_factory=dict)
    # Per schedule someone waits on: set (and dropped) by its next write. Only the simulator's event
    # loop records writes, so setting it there is safe.
    _changed: dict[tuple[str, str], asyncio.Event] = field(default_factory=dict)

    def record(self, subdomain: str, schedule_id: str, revision: int, operation: str) -> None:
        applied_at, monotonic = self.clock.read()
        writes = self._writes.setdefault((subdomain, schedule_id), deque(maxlen=MAX_WRITES_PER_SCHEDULE))
        writes.append(AppliedWrite(revision, applied_at, monotonic, operation))
        self.wake(subdomain, schedule_id)

    def changed(self, subdomain: str, schedule_id: str) -> asyncio.Event:
        """An event set by the schedule's next write (or a reset). Take it before reading the revision,
        with no `await` between, and no write can slip past unnoticed."""
        return self._changed.setdefault((subdomain, schedule_id), asyncio.Event())

    def watched(self, subdomain: str, schedule_id: str) -> bool:
        """Whether someone took the schedule's event since its last write (e.g. a long-poll waits)."""
        return (subdomain, schedule_id) in self._changed

    def wake(self, subdomain: str, schedule_id: str) -> None:
        """Wake whoever waits for the schedule (a write, or its deletion)."""
        event = self._changed.pop((subdomain, schedule_id), None)
        if event is not None:
            event.set()

    def of(self, subdomain: str, schedule_id: str, after_revision: int | None = None) -> list[AppliedWrite]:
        writes = self._writes.get((subdomain, schedule_id), ())
        return [w for w in writes if after_revision is None or w.revision > after_revision]

    def clear(self) -> None:
        self._writes.clear()
        for event in self._changed.values():
            event.set()
        self._changed.clear()
