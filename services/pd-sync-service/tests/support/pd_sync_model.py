"""The scheduler's side of a test: what was published, and the timeline each schedule must show.

Written independently of `pd_sync_service.domain` (a plain reading of the contract: a shift's on-call
time is [start, end) clipped to the coverage window, wall clock in the rotation's zone; merged
rotations' coverages do not overlap), so scenario tests compare PagerDuty with a second opinion.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pd_sync_service.domain.model import Assignment


@dataclass
class RotationState:
    rotation_id: str
    name: str
    zone: str
    coverage: tuple[time, time] | None
    backup: bool
    target: str | None = None  # the owning rotation while an integration is active
    shifts: dict[str, tuple[datetime, datetime, str | None, str | None, bool]] = field(default_factory=dict)


@dataclass
class SchedulerModel:
    rotations: dict[str, RotationState] = field(default_factory=dict)

    def sources(self, target: str, role: str) -> list[RotationState]:
        owner = self.rotations.get(target)
        if owner is None or owner.target != target:
            return []
        return [r for r in self.rotations.values() if r.target == target and (role == "primary" or r.backup)]

    def horizon(self, target: str) -> datetime:
        return max(end for r in self.sources(target, "primary") for _, end, *_ in r.shifts.values())

    def timeline(
        self, target: str, role: str, user_ids: dict[str, str], since: datetime, until: datetime
    ) -> list[Assignment]:
        entries: list[Assignment] = []
        for rotation in self.sources(target, role):
            entries.extend(_rotation_entries(rotation, role, user_ids, since, until))
        entries.sort(key=lambda e: e.start)
        for left, right in itertools.pairwise(entries):
            assert left.end <= right.start, f"the scenario overlaps coverage: {left} {right}"
        return _merge(entries)


def _rotation_entries(
    rotation: RotationState, role: str, user_ids: dict[str, str], since: datetime, until: datetime
) -> list[Assignment]:
    result = []
    for start, end, primary, backup, cancelled in rotation.shifts.values():
        email = primary if role == "primary" else backup
        if cancelled or email is None:
            continue
        for low, high in _on_call(rotation, max(start, since), min(end, until)):
            result.append(Assignment(low, high, user_ids[email]))
    return result


def _on_call(rotation: RotationState, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    if start >= end:
        return []
    if rotation.coverage is None:
        return [(start, end)]
    zone = ZoneInfo(rotation.zone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    spans = []
    while day <= end.astimezone(zone).date():
        low, high = _window(day, rotation.coverage, zone)
        if max(low, start) < min(high, end):
            spans.append((max(low, start), min(high, end)))
        day += timedelta(days=1)
    return spans


def _window(day: date, coverage: tuple[time, time], zone: ZoneInfo) -> tuple[datetime, datetime]:
    opens, closes = coverage
    end_day = day + timedelta(days=1) if closes <= opens else day
    low = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
    return low, datetime.combine(end_day, closes, tzinfo=zone).astimezone(UTC)


def _merge(entries: list[Assignment]) -> list[Assignment]:
    merged: list[Assignment] = []
    for entry in entries:
        if merged and merged[-1].user_id == entry.user_id and merged[-1].end == entry.start:
            merged[-1] = Assignment(merged[-1].start, entry.end, entry.user_id)
        else:
            merged.append(entry)
    return merged
