"""Does PagerDuty show what the scheduler says? Compare a PagerDuty schedule's final schedule with the
timelines of the rotations (and roles) that feed it, and wait for the system to become quiet."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from localsystem.api import RotationApi
from localsystem.pagerduty import PagerDutyView
from localsystem.timelines import Entry, describe_difference, differing_seconds, normalized


@dataclass(frozen=True)
class ScheduleFeed:
    """One PagerDuty schedule and the (rotation id, role) timelines that should make it up."""

    schedule_id: str
    sources: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Comparison:
    feed: ScheduleFeed
    since: datetime
    until: datetime
    expected: list[Entry]
    actual: list[Entry]

    @property
    def differing_seconds(self) -> float:
        return differing_seconds(self.expected, self.actual)

    @property
    def matches(self) -> bool:
        return self.expected == self.actual

    def explain(self) -> str:
        return (
            f"schedule {self.feed.schedule_id} over {self.since:%Y-%m-%d %H:%M:%S}..{self.until:%Y-%m-%d}: "
            f"{self.differing_seconds:.0f} s differ ({len(self.expected)} scheduler entries, "
            f"{len(self.actual)} PagerDuty entries)\n{describe_difference(self.expected, self.actual)}"
        )


def compare(
    api: RotationApi, pagerduty: PagerDutyView, feed: ScheduleFeed, since: datetime, until: datetime
) -> Comparison:
    scheduler: list[Entry] = []
    for rotation_id, role in feed.sources:
        scheduler.extend(api.oncall(rotation_id, role, since, until))
    shown = pagerduty.final_schedule(feed.schedule_id, since, until)
    return Comparison(
        feed, since, until, normalized(scheduler, since, until), normalized(shown, since, until)
    )


def window(horizon: timedelta, now: datetime | None = None) -> tuple[datetime, datetime]:
    """From now (whole seconds) to the horizon."""
    start = (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(seconds=1)
    return start, start + horizon


def wait_until_converged(
    api: RotationApi,
    pagerduty: PagerDutyView,
    feeds: list[ScheduleFeed],
    horizon: timedelta,
    *,
    timeout_s: float = 60.0,
    quiet_s: float = 1.5,
) -> list[Comparison]:
    """Poll until every schedule matches and PagerDuty saw no request for `quiet_s`; then compare once
    more and return those comparisons (the caller asserts; on timeout they show what differs)."""
    deadline = time.monotonic() + timeout_s
    last_count, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(pagerduty.requests())
        if count != last_count:
            last_count, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s and _all_match(api, pagerduty, feeds, horizon):
            break
        time.sleep(0.3)
    since, until = window(horizon)
    return [compare(api, pagerduty, feed, since, until) for feed in feeds]


def _all_match(
    api: RotationApi, pagerduty: PagerDutyView, feeds: list[ScheduleFeed], horizon: timedelta
) -> bool:
    since, until = window(horizon)
    try:
        return all(compare(api, pagerduty, feed, since, until).matches for feed in feeds)
    except Exception:
        return False  # a schedule not created yet answers 404 while the sync catches up
