"""Render our layers with the simulator's pure renderer: an independent reference for exactness."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pagerduty_sim.model.schedule import Layer as SimLayer
from pagerduty_sim.model.schedule import LayerSpec, LayerVersion, Restriction, RestrictionKind, Schedule
from pagerduty_sim.rendering import DstReading, render_schedule
from pd_sync_service.domain.model import Assignment, Layer


def sim_render(
    layers: Sequence[Layer], zone: str, since: datetime, until: datetime, reading: str
) -> list[Assignment]:
    sim_layers = [
        SimLayer(f"L{index}", [LayerVersion(since, _spec(layer))]) for index, layer in enumerate(layers)
    ]
    schedule = Schedule("S", "test", ZoneInfo(zone), None, sim_layers)
    final = render_schedule(schedule, since, until, DstReading(reading)).final
    return [Assignment(entry.start, entry.end, entry.user_id) for entry in final]


def _spec(layer: Layer) -> LayerSpec:
    return LayerSpec(
        name=layer.name,
        start=layer.start,
        end=layer.end,
        rotation_virtual_start=layer.virtual_start,
        turn_length_seconds=layer.turn_seconds,
        user_ids=layer.user_ids,
        restrictions=tuple(
            Restriction(
                RestrictionKind(item.kind),
                item.start_time_of_day,
                item.duration_seconds,
                item.start_day_of_week,
            )
            for item in layer.restrictions
        ),
    )


def differing_seconds(left: Sequence[Assignment], right: Sequence[Assignment]) -> int:
    """Seconds in which the two timelines name different people (or one names nobody)."""
    points = sorted({p for e in [*left, *right] for p in (e.start, e.end)})
    total = 0
    for low, high in itertools.pairwise(points):
        if _who(left, low) != _who(right, low):
            total += int((high - low).total_seconds())
    return total


def _who(entries: Sequence[Assignment], instant: datetime) -> str | None:
    index = bisect_right([e.start for e in entries], instant) - 1
    if index >= 0 and entries[index].end > instant:
        return entries[index].user_id
    return None
