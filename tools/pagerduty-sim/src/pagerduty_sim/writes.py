"""The record of applied schedule writes: per schedule, when each write was applied and the revision
it produced (a simulator-only measurement aid, served under `/_sim/`; PagerDuty has no such thing).

Times are real, not the simulated clock: `applied_at` is wall-clock seconds since the epoch that never
steps backwards (the wall time at start plus monotonic time since), and `monotonic` is the host's
`time.monotonic()`, comparable with any other process's monotonic readings on the same machine.
"""

from __future__ import annotations

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

    def record(self, subdomain: str, schedule_id: str, revision: int, operation: str) -> None:
        applied_at, monotonic = self.clock.read()
        writes = self._writes.setdefault((subdomain, schedule_id), deque(maxlen=MAX_WRITES_PER_SCHEDULE))
        writes.append(AppliedWrite(revision, applied_at, monotonic, operation))

    def of(self, subdomain: str, schedule_id: str, after_revision: int | None = None) -> list[AppliedWrite]:
        writes = self._writes.get((subdomain, schedule_id), ())
        return [w for w in writes if after_revision is None or w.revision > after_revision]

    def clear(self) -> None:
        self._writes.clear()
