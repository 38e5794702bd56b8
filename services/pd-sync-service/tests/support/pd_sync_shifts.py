"""Concrete shifts for tests: wall-clock handoffs in a zone, assignees from a given sequence."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pd_sync_service.domain.model import Assignment


def local_boundaries(
    zone: str, first: datetime, period: timedelta, handoffs: Sequence[timedelta], count: int
) -> list[datetime]:
    """UTC instants of `count` consecutive handoffs; `first` is a naive local period start."""
    tz = ZoneInfo(zone)
    result = []
    period_index = 0
    while len(result) < count:
        for handoff in handoffs:
            wall = first + period_index * period + handoff
            result.append(wall.replace(tzinfo=tz).astimezone(UTC))
        period_index += 1
    return result[:count]


def shifts(boundaries: Sequence[datetime], users: Sequence[str | None]) -> list[Assignment]:
    """Shift i runs from boundary i to i+1, assigned users[i % len(users)] (None: nobody)."""
    result = []
    for index, (start, end) in enumerate(itertools.pairwise(boundaries)):
        user = users[index % len(users)]
        if user is not None:
            result.append(Assignment(start, end, user))
    return result
