from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from rotation_service.domain.model import CoverageWindow, RotationSpec
from rotation_service.service_layer.coverage_overlap import coverage_overlaps


def spec(zone: str, window: tuple[str, str] | None) -> RotationSpec:
    coverage = (
        CoverageWindow(time.fromisoformat(window[0]), time.fromisoformat(window[1])) if window else None
    )
    return RotationSpec(zone, timedelta(days=7), datetime(2026, 12, 7, 9), (timedelta(0),), coverage)


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        (spec("UTC", ("08:00", "16:00")), spec("UTC", ("16:00", "00:00")), False),
        (spec("UTC", ("08:00", "16:00")), spec("UTC", ("15:00", "23:00")), True),
        (spec("UTC", ("22:00", "06:00")), spec("UTC", ("05:00", "10:00")), True),
        (spec("UTC", ("22:00", "06:00")), spec("UTC", ("06:00", "22:00")), False),
        (spec("UTC", None), spec("UTC", ("08:00", "09:00")), True),
        # 09:00-17:00 in London and 09:00-17:00 in Sydney never meet, whatever the season
        (spec("Europe/London", ("09:00", "17:00")), spec("Australia/Sydney", ("09:00", "17:00")), False),
        # Berlin 08:00-16:00 is 07:00-15:00 UTC in winter: it meets UTC 14:00-22:00
        (spec("Europe/Berlin", ("08:00", "16:00")), spec("UTC", ("14:00", "22:00")), True),
    ],
)
def test_coverage_overlap(first: RotationSpec, second: RotationSpec, overlap: bool) -> None:
    assert coverage_overlaps(first, second) is overlap
    assert coverage_overlaps(second, first) is overlap
