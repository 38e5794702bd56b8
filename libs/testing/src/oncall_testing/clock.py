"""A clock tests set and move by hand (an `oncall_platform.clock.Clock`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, by: timedelta | float) -> datetime:
        """Move forward by `by` (a timedelta, or seconds); returns the new now."""
        self.now += by if isinstance(by, timedelta) else timedelta(seconds=by)
        return self.now


class FakeMonotonicClock:
    """A `time.monotonic` stand-in (seconds) that moves only when something sleeps on it or a test
    moves `now`: for code that takes a clock and a sleep, such as a request budget."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
