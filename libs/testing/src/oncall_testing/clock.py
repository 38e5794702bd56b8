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
