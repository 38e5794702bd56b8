"""Classic offset pagination: `limit` (default 25, max 100), `offset`, `more`, `total`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pagerduty_sim.errors import invalid_input

T = TypeVar("T")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000


def paginate(items: Sequence[T], params: Mapping[str, str]) -> tuple[list[T], dict[str, Any]]:
    """Return the page of `items` asked for by `params`, and the pagination fields of the response."""
    limit = _integer(params, "limit", DEFAULT_LIMIT)
    offset = _integer(params, "offset", 0)
    if limit < 1 or offset < 0:
        raise invalid_input("limit must be positive and offset must not be negative")
    limit = min(limit, MAX_LIMIT)
    if offset + limit > MAX_OFFSET_PLUS_LIMIT:
        raise invalid_input(f"Offset must be less than {MAX_OFFSET_PLUS_LIMIT - limit + 1}.")
    page = list(items[offset : offset + limit])
    wants_total = params.get("total", "false").lower() == "true"
    fields = {
        "limit": limit,
        "offset": offset,
        "more": offset + limit < len(items),
        "total": len(items) if wants_total else None,
    }
    return page, fields


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_input(f"{name} must be an integer") from None
