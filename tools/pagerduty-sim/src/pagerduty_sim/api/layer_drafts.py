"""Reading schedule layers from request JSON into model specs, with PagerDuty's checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pagerduty_sim.errors import ApiError, invalid_schedule
from pagerduty_sim.model.account import Account
from pagerduty_sim.model.schedule import LayerSpec, Restriction, RestrictionKind
from pagerduty_sim.timeutil import InvalidTimeError, parse_instant, parse_time_of_day

MIN_TURN_SECONDS = 3_600
MAX_TURN_SECONDS = 31_536_000
MAX_RESTRICTION_SECONDS = {RestrictionKind.DAILY: 86_400, RestrictionKind.WEEKLY: 604_800}


@dataclass(frozen=True)
class LayerDraft:
    """A layer as sent: `layer_id` when it names an existing layer, and whether `end` was sent."""

    layer_id: str | None
    spec: LayerSpec
    end_sent: bool


def read_layer_drafts(account: Account, raw_layers: Any, tz: ZoneInfo) -> list[LayerDraft]:
    if not isinstance(raw_layers, list):
        raise invalid_schedule("schedule_layers must be a list")
    return [_read_layer(account, raw, tz, position) for position, raw in enumerate(raw_layers, start=1)]


def _read_layer(account: Account, raw: Mapping[str, Any], tz: ZoneInfo, position: int) -> LayerDraft:
    try:
        start = parse_instant(str(raw["start"]), tz)
        virtual_start = parse_instant(str(raw["rotation_virtual_start"]), tz)
        end = None if raw.get("end") is None else parse_instant(str(raw["end"]), tz)
    except KeyError as missing:
        raise invalid_schedule(f"Schedule layer {position} is missing {missing.args[0]}") from None
    except InvalidTimeError as error:
        raise invalid_schedule(str(error)) from None
    if end is not None and end <= start:
        raise invalid_schedule(f"Schedule layer {position}: end must be after start")
    spec = LayerSpec(
        name=str(raw.get("name") or f"Layer {position}"),
        start=start,
        end=end,
        rotation_virtual_start=virtual_start,
        turn_length_seconds=_turn_length(raw.get("rotation_turn_length_seconds"), position),
        user_ids=_user_ids(account, raw.get("users"), position),
        restrictions=tuple(_restriction(item, position) for item in raw.get("restrictions") or []),
    )
    layer_id = raw.get("id")
    return LayerDraft(str(layer_id) if layer_id else None, spec, "end" in raw)


def _turn_length(value: Any, position: int) -> int:
    if not isinstance(value, int) or not MIN_TURN_SECONDS <= value <= MAX_TURN_SECONDS:
        raise invalid_schedule(
            f"Schedule layer {position}: rotation_turn_length_seconds must be between "
            f"{MIN_TURN_SECONDS} and {MAX_TURN_SECONDS}"
        )
    return value


def _user_ids(account: Account, raw_users: Any, position: int) -> tuple[str, ...]:
    if not isinstance(raw_users, list) or not raw_users:
        raise invalid_schedule(f"Schedule layer {position} must have at least one user")
    user_ids = []
    for item in raw_users:
        user_id = str((item.get("user") or {}).get("id", ""))
        if user_id not in account.users:
            raise ApiError(400, 3001, "Invalid Schedule", [f"User {user_id} not found"])
        user_ids.append(user_id)
    return tuple(user_ids)


def _restriction(raw: Mapping[str, Any], position: int) -> Restriction:
    try:
        kind = RestrictionKind(str(raw.get("type")))
        start_time = parse_time_of_day(str(raw["start_time_of_day"]))
        duration = int(raw["duration_seconds"])
    except (ValueError, KeyError, InvalidTimeError):
        raise invalid_schedule(f"Schedule layer {position} has an invalid restriction") from None
    if not 0 < duration < MAX_RESTRICTION_SECONDS[kind]:
        raise invalid_schedule(f"Schedule layer {position}: restriction duration out of range")
    day = raw.get("start_day_of_week")
    if kind is RestrictionKind.WEEKLY and not (isinstance(day, int) and 1 <= day <= 7):
        raise invalid_schedule(f"Schedule layer {position}: weekly restriction needs start_day_of_week 1-7")
    return Restriction(kind, start_time, duration, day if kind is RestrictionKind.WEEKLY else None)


def rewrite_past_start(spec: LayerSpec, now: datetime) -> LayerSpec:
    """On update a layer `start` in the past becomes the time of the update (whole seconds)."""
    if spec.start >= now:
        return spec
    return replace(spec, start=now.replace(microsecond=0))
