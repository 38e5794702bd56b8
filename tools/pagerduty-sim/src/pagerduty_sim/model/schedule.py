"""Schedules, their layers with version history, and overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo


class RestrictionKind(StrEnum):
    DAILY = "daily_restriction"
    WEEKLY = "weekly_restriction"


@dataclass(frozen=True)
class Restriction:
    """A window of the day or week in which a layer may have someone on call.

    `start_day_of_week` is ISO (1 = Monday) and set only for weekly restrictions.
    """

    kind: RestrictionKind
    start_time_of_day: time
    duration_seconds: int
    start_day_of_week: int | None = None


@dataclass(frozen=True)
class LayerSpec:
    """What one version of a layer says; instants are aware UTC datetimes."""

    name: str
    start: datetime
    end: datetime | None
    rotation_virtual_start: datetime
    turn_length_seconds: int
    user_ids: tuple[str, ...]
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class LayerVersion:
    """A layer spec and the instant from which it is in force."""

    effective_from: datetime
    spec: LayerSpec


@dataclass
class Layer:
    """A schedule layer: an id and its versions, oldest first (never empty, never deleted)."""

    id: str
    versions: list[LayerVersion]

    @property
    def current(self) -> LayerSpec:
        return self.versions[-1].spec

    def version_spans(self) -> list[tuple[datetime | None, datetime | None, LayerSpec]]:
        """Each version with the span it governs: the first reaches back forever, the last forward."""
        spans: list[tuple[datetime | None, datetime | None, LayerSpec]] = []
        for index, version in enumerate(self.versions):
            begin = None if index == 0 else version.effective_from
            following = self.versions[index + 1] if index + 1 < len(self.versions) else None
            spans.append((begin, following.effective_from if following else None, version.spec))
        return spans

    def amend(self, spec: LayerSpec, now: datetime) -> None:
        """Put `spec` in force from `now`; a second edit at the same instant replaces the first."""
        last = self.versions[-1]
        if last.effective_from >= now:
            self.versions[-1] = LayerVersion(last.effective_from, spec)
        else:
            self.versions.append(LayerVersion(now, spec))


@dataclass(frozen=True)
class Override:
    """Someone on call from `start` to `end`, above every layer; `created_seq` orders precedence."""

    id: str
    start: datetime
    end: datetime
    user_id: str
    created_seq: int


@dataclass
class Schedule:
    """A schedule: layers in POST/PUT order (the last wins) and its overrides."""

    id: str
    name: str
    time_zone: ZoneInfo
    description: str | None
    layers: list[Layer]
    overrides: list[Override] = field(default_factory=list)
    revision: int = 0  # grows with every write, so an inspector can skip re-rendering an unchanged schedule

    def touch(self) -> None:
        """Record that a write (layers or overrides) happened."""
        self.revision += 1

    def layer(self, layer_id: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.id == layer_id), None)

    @property
    def user_ids(self) -> list[str]:
        """Users of the current layer versions, first appearance first."""
        seen: dict[str, None] = {}
        for layer in self.layers:
            for user_id in layer.current.user_ids:
                seen.setdefault(user_id)
        return list(seen)
