"""PagerDuty schedule JSON <-> domain layers. Times are sent in UTC on whole minutes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from typing import Any

from pd_sync_service.domain.model import Layer, Restriction


def schedule_body(name: str, time_zone: str, layers: Sequence[Layer], sync_key: str) -> dict[str, Any]:
    """The `{"schedule": ...}` body of a POST or PUT; `layers` in precedence order (the last wins).
    The description carries `sync_key`, by which a schedule whose creation was never confirmed is
    found again."""
    return {
        "schedule": {
            "type": "schedule",
            "name": name,
            "time_zone": time_zone,
            "description": f"{DESCRIPTION} {sync_key_mark(sync_key)}",
            "schedule_layers": [layer_json(layer) for layer in layers],
        }
    }


DESCRIPTION = "Managed by the on-call scheduler; edits here are overwritten."


def sync_key_mark(sync_key: str) -> str:
    return f"[sync key {sync_key}]"


def layer_json(layer: Layer) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": layer.name,
        "start": _utc(layer.start),
        "end": None if layer.end is None else _utc(layer.end),
        "rotation_virtual_start": _utc(layer.virtual_start),
        "rotation_turn_length_seconds": layer.turn_seconds,
        "users": [{"user": {"id": user_id, "type": "user_reference"}} for user_id in layer.user_ids],
        "restrictions": [_restriction_json(item) for item in layer.restrictions],
    }
    if layer.id is not None:
        body["id"] = layer.id
    return body


def _restriction_json(restriction: Restriction) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": restriction.kind,
        "start_time_of_day": restriction.start_time_of_day.strftime("%H:%M:%S"),
        "duration_seconds": restriction.duration_seconds,
    }
    if restriction.start_day_of_week is not None:
        body["start_day_of_week"] = restriction.start_day_of_week
    return body


def layers_from_schedule(schedule: Mapping[str, Any], owners: Mapping[str, str]) -> list[Layer]:
    """Layers of a PagerDuty schedule in precedence order (PagerDuty lists them reversed).

    `owners` maps the layer ids we wrote to their rotation; other layers get no owner.
    """
    raw_layers = list(reversed(schedule.get("schedule_layers") or []))
    return [layer_from_json(raw, owners.get(str(raw.get("id")))) for raw in raw_layers]


def layer_from_json(raw: Mapping[str, Any], owner: str | None) -> Layer:
    return Layer(
        name=str(raw.get("name") or ""),
        start=_instant(raw["start"]),
        end=None if raw.get("end") is None else _instant(raw["end"]),
        virtual_start=_instant(raw["rotation_virtual_start"]),
        turn_seconds=int(raw["rotation_turn_length_seconds"]),
        user_ids=tuple(str(item["user"]["id"]) for item in raw.get("users") or []),
        restrictions=tuple(_restriction(item) for item in raw.get("restrictions") or []),
        id=str(raw["id"]) if raw.get("id") else None,
        owner=owner,
    )


def _restriction(raw: Mapping[str, Any]) -> Restriction:
    day = raw.get("start_day_of_week") if raw.get("type") == "weekly_restriction" else None
    return Restriction(time.fromisoformat(str(raw["start_time_of_day"])), int(raw["duration_seconds"]), day)


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)


def layers_to_store(layers: Sequence[Layer]) -> list[dict[str, Any]]:
    """Layers as JSON for the database, with their owner."""
    return [{**layer_json(layer), "owner": layer.owner} for layer in layers]


def layers_from_store(stored: Sequence[Mapping[str, Any]]) -> list[Layer]:
    return [layer_from_json(raw, raw.get("owner")) for raw in stored]
