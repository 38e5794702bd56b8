"""A per-API-key request budget that keeps callers under PagerDuty's rate limit."""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from oncall_pagerduty.retry import Sleep

PAGERDUTY_REQUESTS_PER_MINUTE = 960
_WINDOW_SECONDS = 60.0
STEADY_SHARE = 0.98  # of the limit, spent evenly: headroom for requests in flight and T's whole seconds
CATCH_UP_SECONDS = 0.5  # how far behind the steady line a key may fall and still catch up at once
BUSY_SECONDS = 5.0  # a key whose requests waited for the budget this recently is busy


def key_fingerprint(api_key: str) -> str:
    """A stable, non-reversible label for an API key (sha256 prefix): safe for logs, spans and maps."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


class RequestBudget:
    """The request budget of one API key in this process, shared by every client of that key here.

    Two limits apply, and a request waits for the later of the two:

    - A local token bucket (the per-process cap): at most `burst` tokens, refilled so that
      `burst + refill * 60 s` equals `limit_per_minute * share`, so no 60-second window spends more
      than this process's share.
    - PagerDuty's own account of the key, which every process using it sees. A response saying
      `ratelimit-remaining` R and `ratelimit-reset` T tells how much of the window the key has used
      (`limit - R`) and how far into the window it is (`60 - T`). The key may spend at most
      `STEADY_SHARE` of the limit evenly over the window: while it is ahead of that line, requests
      wait until the line catches up. A key that fell behind the line (idle, or waiting for work)
      does not catch up in a burst: the line is pulled down to within `CATCH_UP_SECONDS` of what the
      key used, as a burst next to the next window's steady pace would overfill the 60 seconds
      around the boundary. Every process sharing the key sees the same R and T, so together
      they keep one steady pace whoever joins or leaves, and no 60-second span, whether or not it
      lines up with PagerDuty's windows, holds much more than a window's worth (a few requests in
      flight and the whole seconds of T). R == 0 (or a 429) pauses every caller until the reset.

    Waiting callers are served in arrival order: each `acquire` reserves its slot before sleeping.
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
        self.burst = burst if burst is not None else _default_burst(allowance)
        if not 1 <= self.burst < allowance:
            raise ValueError("burst must be at least 1 and below the per-minute allowance")
        self.interval = _WINDOW_SECONDS / (allowance - self.burst)
        self._clock = clock
        self._sleep = sleep
        # Generic cell-rate algorithm: the theoretical time at which the bucket is full again.
        self._full_at = clock()
        self._last_send_at = -math.inf
        self._key_limit = limit_per_minute
        self._behind_line_at = -math.inf  # when the key's spending is back on the steady line
        self._window_start = -math.inf  # PagerDuty's current window of the key, as last estimated
        self._pulled_down: tuple[float, int] | None = None  # (when, used) the line was last lowered to
        self._waited_send_at = -math.inf  # when the latest request that had to wait is sent

    def available(self) -> float:
        """Requests that could be sent right now without waiting (fractional: bucket tokens)."""
        now = self._clock()
        tokens = max(0.0, self.burst - max(0.0, self._full_at - now) / self.interval)
        return tokens if self._behind_line_at <= now else 0.0

    async def acquire(self) -> float:
        """Wait until one request may be sent; returns the seconds waited."""
        now = self._clock()
        # Never before an earlier caller's slot, so waiters are served in arrival order.
        send_at = max(now, self._last_send_at, self._bucket_send_at(), self._behind_line_at)
        self._full_at = max(self._full_at, send_at) + self.interval
        self._last_send_at = send_at
        wait = send_at - now
        if wait > 0:
            self._waited_send_at = send_at
            await self._sleep(wait)
        return wait

    def busy(self, within: float = BUSY_SECONDS) -> bool:
        """Whether the key's requests are waiting for the budget, or did in the last `within` seconds:
        work that can be put off (a periodic check) leaves the requests to the writes then."""
        return self._clock() - self._waited_send_at < within

    def observe(self, remaining: int | None, reset: float | None) -> None:
        """Adapt to the `ratelimit-remaining` / `ratelimit-reset` a response carried."""
        if remaining is None:
            return
        if remaining <= 0:
            self.pause(reset if reset is not None else _WINDOW_SECONDS)
        elif reset is not None:
            self._behind_line_at = self._clock() + self._seconds_ahead_of_line(remaining, reset)

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a 429 or an exhausted window), then resume with one token."""
        resume_at = self._clock() + seconds
        self._full_at = max(self._full_at, resume_at + (self.burst - 1) * self.interval)

    def _bucket_send_at(self) -> float:
        return self._full_at - (self.burst - 1) * self.interval

    def _seconds_ahead_of_line(self, remaining: int, reset: float) -> float:
        """How long the key must send nothing for its spending to be back on the steady line (at most
        until the window resets, when the line starts again from zero)."""
        steady_per_second = self._key_limit * STEADY_SHARE / _WINDOW_SECONDS
        now = self._clock()
        elapsed = max(0.0, _WINDOW_SECONDS - reset)
        if now - elapsed > self._window_start + _WINDOW_SECONDS / 2:  # a new window (T is whole seconds)
            self._window_start, self._pulled_down = now - elapsed, None
        used = self._key_limit - remaining
        line = steady_per_second * elapsed
        if self._pulled_down is not None:
            at, used_then = self._pulled_down
            line = min(line, used_then + steady_per_second * (CATCH_UP_SECONDS + now - at))
        if used + steady_per_second * CATCH_UP_SECONDS < line:
            self._pulled_down = (now, used)
            line = used + steady_per_second * CATCH_UP_SECONDS
        ahead = used - line
        return min(reset, max(0.0, ahead / steady_per_second))


def _default_burst(allowance: float) -> int:
    """A small burst: the bucket sustains `allowance - burst` a minute, so a lone process paced by
    PagerDuty's headers still gets at least 98% of its allowance (1/8 capped it at 87.5%)."""
    return max(1, int(allowance / 64))


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
