"""Render layers, overrides and the final schedule over a window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pagerduty_sim.model.schedule import Layer, LayerSpec, Override, Schedule
from pagerduty_sim.rendering.timeline import Entry, clip, merge_adjacent, overlay
from pagerduty_sim.rendering.turns import DstReading, turns
from pagerduty_sim.rendering.windows import restriction_windows


@dataclass(frozen=True)
class Rendering:
    """Entries of one schedule over a window.

    `layers` follows the schedule's POST/PUT order. Layer entries are one per turn piece; override and
    final entries are merged where the same user continues. Without overflow every entry is cut at
    the window; with overflow entries keep their full extent.
    """

    layers: list[list[Entry]]
    overrides: list[Entry]
    final: list[Entry]


def render_schedule(
    schedule: Schedule, since: datetime, until: datetime, reading: DstReading, overflow: bool = False
) -> Rendering:
    """Render `schedule` over [since, until): the last layer wins, overrides win over every layer."""
    layers = [
        render_layer(layer, since, until, schedule.time_zone, reading, True) for layer in schedule.layers
    ]
    overrides = render_overrides(schedule.overrides, since, until)
    final: list[Entry] = []
    for entries in layers:
        final = overlay(final, entries)
    final = merge_adjacent(overlay(final, overrides))
    if overflow:
        return Rendering(layers, overrides, final)
    return Rendering(
        [clip(entries, since, until) for entries in layers],
        clip(overrides, since, until),
        clip(final, since, until),
    )


def render_overrides(overrides: list[Override], since: datetime, until: datetime) -> list[Entry]:
    """The override layer: where overrides overlap, the one created last wins; gaps stay empty."""
    timeline: list[Entry] = []
    for override in sorted(overrides, key=lambda item: item.created_seq):
        if override.start < until and override.end > since:
            timeline = overlay(timeline, [Entry(override.start, override.end, override.user_id)])
    return merge_adjacent(timeline)


def render_layer(
    layer: Layer, since: datetime, until: datetime, tz: ZoneInfo, reading: DstReading, overflow: bool = False
) -> list[Entry]:
    """Render one layer, each instant by the version in force at that instant."""
    entries: list[Entry] = []
    for span_begin, span_end, spec in layer.version_spans():
        active_low = _latest(spec.start, span_begin)
        active_high = _earliest(spec.end, span_end)
        if active_high is not None and active_low >= active_high:
            continue
        entries.extend(_render_spec(spec, (active_low, active_high), since, until, tz, reading))
    return entries if overflow else clip(entries, since, until)


def _render_spec(
    spec: LayerSpec,
    active: tuple[datetime, datetime | None],
    since: datetime,
    until: datetime,
    tz: ZoneInfo,
    reading: DstReading,
) -> list[Entry]:
    low = max(since, active[0])
    high = until if active[1] is None else min(until, active[1])
    if low >= high or not spec.user_ids:
        return []
    windows = restriction_windows(spec.restrictions, low, high, tz, reading) if spec.restrictions else None
    entries: list[Entry] = []
    first_window = 0
    for turn_start, turn_end, k in turns(spec, low, high, tz, reading):
        user_id = spec.user_ids[k % len(spec.user_ids)]
        piece_low = max(turn_start, active[0])
        piece_high = turn_end if active[1] is None else min(turn_end, active[1])
        if windows is None:
            _append_piece(entries, piece_low, piece_high, user_id)
            continue
        while first_window < len(windows) and windows[first_window][1] <= piece_low:
            first_window += 1
        index = first_window
        while index < len(windows) and windows[index][0] < piece_high:
            window_start, window_end = windows[index]
            _append_piece(entries, max(piece_low, window_start), min(piece_high, window_end), user_id)
            index += 1
    return entries


def _append_piece(entries: list[Entry], start: datetime, end: datetime, user_id: str) -> None:
    if start < end:
        entries.append(Entry(start, end, user_id))


def _latest(instant: datetime, bound: datetime | None) -> datetime:
    return instant if bound is None else max(instant, bound)


def _earliest(instant: datetime | None, bound: datetime | None) -> datetime | None:
    if instant is None:
        return bound
    return instant if bound is None else min(instant, bound)
