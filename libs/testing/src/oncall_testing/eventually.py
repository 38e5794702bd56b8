"""The one way tests wait for a condition: poll it until it holds or a deadline passes (never a sleep
standing in for the condition). On timeout the failure names what was awaited, the last value the
check returned and the last exception it raised."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
DEFAULT_INTERVAL = 0.2


class _Attempts:
    def __init__(self, within: float, what: str) -> None:
        self.deadline = time.monotonic() + within
        self.within, self.what = within, what
        self.last_value: object = None
        self.last_error: BaseException | None = None

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    def failure(self) -> AssertionError:
        message = (
            f"timed out after {self.within:g} s waiting for {self.what}; last value: {self.last_value!r}"
        )
        if self.last_error is not None:
            message += f"; last error: {type(self.last_error).__name__}: {self.last_error}"
        return AssertionError(message)


async def eventually(
    check: Callable[[], Awaitable[T]], *, within: float, what: str, interval: float = DEFAULT_INTERVAL
) -> T:
    """Await `check()` until it returns a truthy value, which is returned. A check that raises is retried
    (its exception is kept for the failure message)."""
    attempts = _Attempts(within, what)
    while True:
        try:
            value = await check()
            if value:
                return value
            attempts.last_value, attempts.last_error = value, None
        except Exception as error:
            attempts.last_error = error
        if attempts.expired():
            raise attempts.failure() from attempts.last_error
        await asyncio.sleep(interval)


def eventually_sync(
    check: Callable[[], T], *, within: float, what: str, interval: float = DEFAULT_INTERVAL
) -> T:
    """`eventually` for synchronous code (e.g. tests that drive processes over HTTP without a loop)."""
    attempts = _Attempts(within, what)
    while True:
        try:
            value = check()
            if value:
                return value
            attempts.last_value, attempts.last_error = value, None
        except Exception as error:
            attempts.last_error = error
        if attempts.expired():
            raise attempts.failure() from attempts.last_error
        time.sleep(interval)
