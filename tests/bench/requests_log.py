"""Reading the simulator's request log: counts, writes per schedule, and the busiest minute per key."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from localsystem.timelines import parse_instant

WRITE_METHODS = {"POST", "PUT", "DELETE"}


def is_schedule_write(request: dict[str, Any]) -> bool:
    return request["method"] in WRITE_METHODS and str(request["path"]).startswith("/schedules")


def busiest_minute(requests: list[dict[str, Any]]) -> dict[str, int]:
    """Per account: the most requests in any 60-second window (sliding, not calendar minutes)."""
    times: dict[str, list[datetime]] = defaultdict(list)
    for request in requests:
        times[str(request.get("account"))].append(parse_instant(request["time"]))
    return {account: _max_in_window(sorted(stamps)) for account, stamps in times.items()}


def _max_in_window(stamps: list[datetime], window_s: float = 60.0) -> int:
    best, left = 0, 0
    for right, stamp in enumerate(stamps):
        while (stamp - stamps[left]).total_seconds() >= window_s:
            left += 1
        best = max(best, right - left + 1)
    return best
