"""The per-key rate limit: 960 requests per minute, counted on the simulator's clock."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)
REQUESTS_PER_WINDOW = 960


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


class RateLimiter:
    """Fixed one-minute windows per key, each starting at the key's first request after the last one.

    Refused requests are not counted: only served requests use up the allowance.
    """

    def __init__(self, limit: int = REQUESTS_PER_WINDOW) -> None:
        self.limit = limit
        self._windows: dict[str, tuple[datetime, int]] = {}

    def check(self, key: str, now: datetime) -> RateDecision:
        started, used = self._windows.get(key, (now, 0))
        if now >= started + WINDOW or now < started:
            started, used = now, 0
        reset = max(1, math.ceil((started + WINDOW - now).total_seconds()))
        if used >= self.limit:
            self._windows[key] = (started, used)
            return RateDecision(False, self.limit, 0, reset)
        self._windows[key] = (started, used + 1)
        return RateDecision(True, self.limit, self.limit - used - 1, reset)

    def reset(self) -> None:
        self._windows.clear()
