"""A per-API-key request budget that keeps callers under PagerDuty's rate limit."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from oncall_pagerduty.retry import Sleep

PAGERDUTY_REQUESTS_PER_MINUTE = 960
_WINDOW_SECONDS = 60.0


def key_fingerprint(api_key: str) -> str:
    """A stable, non-reversible label for an API key (sha256 prefix): safe for logs, spans and maps."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


class RequestBudget:
    """A token bucket for one API key, shared by every client of that key in this process.

    The bucket holds at most `burst` tokens and refills so that `burst + refill * 60 s` equals
    `limit_per_minute * share`: no 60-second window ever spends more than this process's share.
    Waiting callers are served in arrival order (each `acquire` reserves a slot before sleeping).

    `observe(remaining, reset)` adapts to what PagerDuty reports, so several processes sharing a key
    slow down together: the local bucket never holds more tokens than the server says remain, and
    `remaining == 0` (or a 429) pauses everyone until the window resets.
    """

    def __init__(
        self,
        limit_per_minute: int = PAGERDUTY_REQUESTS_PER_MINUTE,
        *,
        share: float = 1.0,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if limit_per_minute < 1:
            raise ValueError("limit_per_minute must be at least 1")
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        allowance = max(2.0, limit_per_minute * share)
        self.burst = burst if burst is not None else max(1, int(allowance / 8))
        if not 1 <= self.burst < allowance:
            raise ValueError("burst must be at least 1 and below the per-minute allowance")
        self.interval = _WINDOW_SECONDS / (allowance - self.burst)
        self._clock = clock
        self._sleep = sleep
        # Generic cell-rate algorithm: the theoretical time at which the bucket is full again.
        self._full_at = clock()

    def available(self) -> float:
        """Tokens that could be spent right now without waiting."""
        now = self._clock()
        return max(0.0, self.burst - max(0.0, self._full_at - now) / self.interval)

    async def acquire(self) -> float:
        """Wait until one request may be sent; returns the seconds waited."""
        now = self._clock()
        start = max(self._full_at, now)
        send_at = start - (self.burst - 1) * self.interval
        self._full_at = start + self.interval
        wait = max(0.0, send_at - now)
        if wait > 0:
            await self._sleep(wait)
        return wait

    def observe(self, remaining: int | None, reset: float | None) -> None:
        """Adapt to the `ratelimit-remaining` / `ratelimit-reset` a response carried."""
        if remaining is None:
            return
        if remaining <= 0:
            self.pause(reset if reset is not None else _WINDOW_SECONDS)
        elif remaining < self.available():
            self._full_at = self._clock() + (self.burst - remaining) * self.interval

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a 429 or an exhausted window), then resume with one token."""
        resume_at = self._clock() + seconds
        self._full_at = max(self._full_at, resume_at + (self.burst - 1) * self.interval)


@dataclass
class BudgetRegistry:
    """Budgets by key fingerprint, so every client of one key in a process shares one bucket."""

    limit_per_minute: int = PAGERDUTY_REQUESTS_PER_MINUTE
    share: float = 1.0
    _budgets: dict[str, RequestBudget] = field(default_factory=dict, repr=False)

    def for_key(self, api_key: str) -> RequestBudget:
        """The budget of `api_key`, created on first use (the map is keyed by fingerprint, never the key)."""
        fingerprint = key_fingerprint(api_key)
        budget = self._budgets.get(fingerprint)
        if budget is None:
            budget = RequestBudget(self.limit_per_minute, share=self.share)
            self._budgets[fingerprint] = budget
        return budget


_process_budgets: BudgetRegistry | None = None


def process_budgets() -> BudgetRegistry:
    """The process-wide registry used by clients constructed without an explicit budget."""
    global _process_budgets
    if _process_budgets is None:
        _process_budgets = BudgetRegistry()
    return _process_budgets
