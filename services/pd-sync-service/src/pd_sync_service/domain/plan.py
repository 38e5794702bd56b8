"""The update plan: what to PUT so PagerDuty shows the desired timeline, or nothing when it does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from pd_sync_service.domain.model import Assignment, Layer
from pd_sync_service.domain.render import Reading, render

ONE_MINUTE = timedelta(minutes=1)


def shows(
    held: Sequence[Layer], expected: Sequence[Assignment], zone: str, now: datetime, until: datetime
) -> bool:
    """True when `held` (PagerDuty's layers, in precedence order) renders `expected` over [now, until)
    under both DST readings."""
    live = [layer for layer in held if layer.is_live(now)]
    wanted = [entry for entry in expected if entry.end > now]
    return all(
        _clipped(render(live, zone, now, until, reading), now) == _clipped(wanted, now) for reading in Reading
    )


def _clipped(entries: Sequence[Assignment], now: datetime) -> list[Assignment]:
    return [replace(entry, start=max(entry.start, now)) for entry in entries if entry.end > now]


def plan_layers(held: Sequence[Layer], desired: Sequence[Layer], now: datetime) -> list[Layer]:
    """The `schedule_layers` of a PUT: every live held layer (with its id) either reused for a desired
    layer of the same owner, in start order, or ended at `now`; then the desired layers left over,
    without id (PagerDuty appends them). Held layers already ended are not sent.

    `now` is a whole minute. An ended layer is sent with a `start` before its `end`, PagerDuty moves a
    past start to the time of the update, so it renders nothing from then on.
    """
    live = [layer for layer in held if layer.is_live(now)]
    wanted: dict[str | None, list[Layer]] = {}
    for layer in sorted(desired, key=lambda item: item.start):
        wanted.setdefault(layer.owner, []).append(layer)
    sent: list[Layer] = []
    for layer in live:
        queue = wanted.get(layer.owner) if layer.owner is not None else None
        if queue:
            sent.append(replace(queue.pop(0), id=layer.id))
        else:
            sent.append(replace(layer, start=min(layer.start, now - ONE_MINUTE), end=now))
    rest = [layer for layer in desired if layer in {item for queue in wanted.values() for item in queue}]
    return sent + rest
