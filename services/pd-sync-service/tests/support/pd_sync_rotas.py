"""Rotations for scenario tests: weekly shifts handed over at 09:00 London, across the spring change."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from pd_sync_harness import Driver
from pd_sync_shifts import local_boundaries

ZONE = "Europe/London"
WEEKS = local_boundaries(ZONE, datetime(2026, 3, 16), timedelta(days=7), [timedelta(hours=9)], 9)


def new_rotation() -> str:
    return str(uuid.uuid4())


async def publish_weeks(
    driver: Driver, rotation: str, people: Sequence[str], backups: Sequence[str] | None = None
) -> None:
    """Eight weekly shifts `w0`..`w7`; shift i goes to people[i % len(people)] (and backups likewise)."""
    for index, (start, end) in enumerate(itertools.pairwise(WEEKS)):
        backup = backups[index % len(backups)] if backups else None
        await driver.shift(rotation, f"w{index}", start, end, people[index % len(people)], backup)


async def reassign(
    driver: Driver, rotation: str, index: int, primary: str, backup: str | None = None
) -> None:
    """Give weekly shift `index` to another person (a swap is two of these)."""
    await driver.shift(rotation, f"w{index}", WEEKS[index], WEEKS[index + 1], primary, backup)
