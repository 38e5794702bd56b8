"""Domain events the Rotation aggregate records; the service layer maps them to published contracts."""

from __future__ import annotations

from dataclasses import dataclass

from rotation_service.domain.model import Interval, Member, RotationSpec, Shift


@dataclass(frozen=True)
class RotationCreated:
    rotation_id: str
    name: str
    spec: RotationSpec
    admins: tuple[str, ...]


@dataclass(frozen=True)
class RotationUpdated:
    """Name, settings or administrators changed; carries the state after the change."""

    rotation_id: str
    name: str
    spec: RotationSpec
    admins: tuple[str, ...]


@dataclass(frozen=True)
class RotationDeleted:
    rotation_id: str


@dataclass(frozen=True)
class MemberAdded:
    rotation_id: str
    member: Member


@dataclass(frozen=True)
class MemberRemoved:
    rotation_id: str
    email: str


@dataclass(frozen=True)
class UnavailabilityAdded:
    rotation_id: str
    email: str
    interval: Interval


@dataclass(frozen=True)
class ShiftAssignmentChanged:
    """A shift is new, changed its people or conflict flag, or (`cancelled`) no longer exists.

    All changes made by one command share one `revision`, strictly greater than any before it.
    """

    rotation_id: str
    shift: Shift
    revision: int
    cancelled: bool = False


DomainEvent = (
    RotationCreated
    | RotationUpdated
    | RotationDeleted
    | MemberAdded
    | MemberRemoved
    | UnavailabilityAdded
    | ShiftAssignmentChanged
)
