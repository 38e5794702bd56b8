"""Route templates for span names: PagerDuty paths alternate collection names and ids."""

from __future__ import annotations

# Path segments that sit where an id would but name a sub-resource instead.
_FIXED_SEGMENTS = frozenset({"me", "preview"})


def route_template(path: str) -> str:
    """`/schedules/PX1/overrides/Q2` -> `/schedules/{id}/overrides/{id}` (ids never reach span names)."""
    segments = [segment for segment in path.split("?", 1)[0].split("/") if segment]
    templated = [
        "{id}" if index % 2 == 1 and segment not in _FIXED_SEGMENTS else segment
        for index, segment in enumerate(segments)
    ]
    return "/" + "/".join(templated)
