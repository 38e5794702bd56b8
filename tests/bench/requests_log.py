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


def requests_by_window(requests: list[dict[str, Any]], seconds: float) -> dict[str, list[int]]:
    """Requests per `seconds` of the log, by "METHOD kind" (kind: the path's first segment) and by
    status for every answer that was not a 2xx."""
    if not requests:
        return {}
    stamps = [parse_instant(r["time"]) for r in requests]
    first = min(stamps)
    count = int((max(stamps) - first).total_seconds() // seconds) + 1
    series: dict[str, list[int]] = defaultdict(lambda: [0] * count)
    for request, stamp in zip(requests, stamps, strict=True):
        window = int((stamp - first).total_seconds() // seconds)
        kind = str(request["path"]).strip("/").split("/")[0]
        series[f"{request['method']} {kind}"][window] += 1
        status = request.get("status")
        if not (isinstance(status, int) and 200 <= status < 300):
            series[f"status {status}"][window] += 1
    return dict(series)
