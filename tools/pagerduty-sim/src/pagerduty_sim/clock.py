"""The simulator's clock: real time plus an adjustable offset, optionally frozen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def _real_now() -> datetime:
    return datetime.now(UTC)


class SimClock:
    """Every time-dependent rule (history, rate limit, override deletion) reads this clock."""

    def __init__(self, real_now: Callable[[], datetime] = _real_now) -> None:
        self._real_now = real_now
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None

    def now(self) -> datetime:
        if self._frozen_at is not None:
            return self._frozen_at
        return self._real_now() + self._offset

    def set(self, instant: datetime, frozen: bool = False) -> None:
        """Jump to `instant`; time then runs on from there unless `frozen`."""
        self._offset = instant - self._real_now()
        self._frozen_at = instant if frozen else None

    def advance(self, seconds: float) -> None:
        delta = timedelta(seconds=seconds)
        self._offset += delta
        if self._frozen_at is not None:
            self._frozen_at += delta

    def reset(self) -> None:
        self._offset = timedelta(0)
        self._frozen_at = None
