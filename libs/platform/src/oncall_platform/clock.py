"""The one notion of "now": services take a `Clock` and never read the system time themselves, so
tests can move time by hand (`oncall_testing.clock.FakeClock`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]  # an aware UTC datetime on every call


def system_clock() -> datetime:
    return datetime.now(UTC)
