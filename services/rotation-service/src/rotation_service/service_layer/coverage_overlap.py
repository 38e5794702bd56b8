"""Whether two rotations' daily coverage windows overlap (merged rotations must not)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rotation_service.domain.model import RotationSpec

# Zones with different DST rules shift against each other; checking a winter and a summer day of both
# hemispheres catches windows that overlap in any season.
_SAMPLE_DAYS = (date(2026, 1, 15), date(2026, 4, 15), date(2026, 7, 15), date(2026, 10, 15))


def _covered_spans(spec: RotationSpec, day: date) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(spec.time_zone)
    spans = []
    for offset in (-1, 0, 1):
        local_day = day + timedelta(days=offset)
        if spec.coverage is None:
            start = datetime.combine(local_day, datetime.min.time(), zone)
            end = datetime.combine(local_day + timedelta(days=1), datetime.min.time(), zone)
        else:
            start = datetime.combine(local_day, spec.coverage.start, zone)
            end_day = local_day + timedelta(days=1) if spec.coverage.crosses_midnight else local_day
            end = datetime.combine(end_day, spec.coverage.end, zone)
        spans.append((start.astimezone(UTC), end.astimezone(UTC)))
    return spans


def coverage_overlaps(first: RotationSpec, second: RotationSpec) -> bool:
    for day in _SAMPLE_DAYS:
        for a_start, a_end in _covered_spans(first, day):
            for b_start, b_end in _covered_spans(second, day):
                if a_start < b_end and b_start < a_end:
                    return True
    return False
