"""A whole PagerDuty schedule: the layers of every rotation feeding it, and what it must show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pd_sync_service.domain.layers import desired_layers
from pd_sync_service.domain.model import Assignment, Layer, RotationSource
from pd_sync_service.domain.timeline import schedule_timeline


def schedule_layers(
    sources: Sequence[RotationSource], zone: str, since: datetime, until: datetime
) -> list[Layer]:
    """Desired layers of a schedule in `zone` fed by `sources` (in precedence order, the last wins)."""
    return [layer for source in sources for layer in desired_layers(source, zone, since, until)]


def expected_entries(sources: Sequence[RotationSource], since: datetime, until: datetime) -> list[Assignment]:
    """The on-call entries the schedule must show over [since, until)."""
    return schedule_timeline(sources, since, until)
