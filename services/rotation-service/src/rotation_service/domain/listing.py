"""Rotations as listed: without their shifts, in a listing order that never changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rotation_service.domain.model import Member, RotationSpec


@dataclass(frozen=True)
class RotationSummary:
    id: str
    name: str
    spec: RotationSpec


@dataclass(frozen=True)
class ListingPosition:
    """Where a rotation stands in listing order: creation time, then id (neither ever changes)."""

    created_at: datetime
    rotation_id: str


@dataclass(frozen=True)
class RotationOverview:
    """A rotation as listed: settings, members and administrators, without its shifts."""

    id: str
    name: str
    spec: RotationSpec
    members: dict[str, Member]
    admins: frozenset[str]
    position: ListingPosition
