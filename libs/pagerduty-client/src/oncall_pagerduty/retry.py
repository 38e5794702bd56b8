"""When and how long to wait before repeating a failed PagerDuty call."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from oncall_pagerduty.errors import PagerDutyError, RateLimitedError

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter.

    Attempt n (1-based) that failed retryably waits `uniform(0, min(max_delay, base_delay * 2**(n-1)))`;
    a 429 carrying `ratelimit-reset` waits that many seconds plus up to `base_delay` of jitter instead.
    Gives up after `max_attempts` attempts or when the next wait would pass `max_elapsed` seconds.
    Only errors marked retryable (429, 408, 5xx, timeouts, connection errors) are retried.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_elapsed: float = 120.0
    sleep: Sleep = field(default=asyncio.sleep, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_elapsed < 0:
            raise ValueError("delays must not be negative")

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that makes exactly one attempt."""
        return cls(max_attempts=1)

    def delay_before_retry(self, attempt: int, error: PagerDutyError, elapsed: float) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up and raise `error`."""
        if not error.retryable or attempt >= self.max_attempts:
            return None
        delay = self._delay(attempt, error)
        if elapsed + delay > self.max_elapsed:
            return None
        return delay

    def _delay(self, attempt: int, error: PagerDutyError) -> float:
        if isinstance(error, RateLimitedError) and error.rate_limit_reset is not None:
            return error.rate_limit_reset + self.jitter() * self.base_delay
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return self.jitter() * ceiling
