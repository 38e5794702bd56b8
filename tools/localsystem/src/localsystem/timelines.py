"""On-call timelines as comparable values, and the difference between two of them in seconds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import pairwise
from typing import NamedTuple


class Entry(NamedTuple):
    start: datetime
    end: datetime
    who: str  # an e-mail, lower-cased


def parse_instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"instant without offset: {text!r}")
    return parsed.astimezone(UTC)


def normalized(entries: Iterable[Entry], since: datetime, until: datetime) -> list[Entry]:
    """Clip to [since, until), sort, drop empty entries, and merge touching entries of one person."""
    merged: list[Entry] = []
    for entry in sorted(entries):
        start, end = max(entry.start, since), min(entry.end, until)
        if start >= end:
            continue
        who = entry.who.lower()
        if merged and merged[-1].who == who and merged[-1].end == start:
            merged[-1] = Entry(merged[-1].start, end, who)
        else:
            merged.append(Entry(start, end, who))
    return merged


def differing_seconds(expected: list[Entry], actual: list[Entry]) -> float:
    """Seconds in which the two timelines name different people (or one names nobody)."""
    cuts = sorted({e.start for e in expected + actual} | {e.end for e in expected + actual})
    total = 0.0
    for left, right in pairwise(cuts):
        if _who_at(expected, left) != _who_at(actual, left):
            total += (right - left).total_seconds()
    return total


def _who_at(entries: list[Entry], instant: datetime) -> str | None:
    for entry in entries:
        if entry.start <= instant < entry.end:
            return entry.who
    return None


def describe_difference(expected: list[Entry], actual: list[Entry], limit: int = 8) -> str:
    only_expected = [e for e in expected if e not in actual][:limit]
    only_actual = [e for e in actual if e not in expected][:limit]
    return "\n".join(
        [f"scheduler only:  {_fmt(e)}" for e in only_expected]
        + [f"pagerduty only: {_fmt(e)}" for e in only_actual]
    )


def _fmt(entry: Entry) -> str:
    return f"{entry.start:%Y-%m-%d %H:%M:%S} .. {entry.end:%Y-%m-%d %H:%M:%S}  {entry.who}"
