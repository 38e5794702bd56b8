"""The Rotation aggregate: settings, members, administrators and the allocated shifts.

Every command takes `now` (the domain has no clock), validates, changes state, reallocates where
assignments may change, and appends the resulting domain events to `events`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from oncall_contracts import limits
from rotation_service.domain.allocation import allocate
from rotation_service.domain.errors import (
    DuplicateMember,
    InvalidRotation,
    NotAllowed,
    UnknownMember,
    UnknownShift,
)
from rotation_service.domain.events import (
    DomainEvent,
    MemberAdded,
    MemberRemoved,
    RotationCreated,
    RotationDeleted,
    RotationUpdated,
    ShiftAssignmentChanged,
    UnavailabilityAdded,
)
from rotation_service.domain.model import Interval, Member, Role, RotationSpec, Shift, require_utc

MAX_NAME_LENGTH = 200


def _validated_name(name: str) -> str:
    stripped = name.strip()
    if not stripped or len(stripped) > MAX_NAME_LENGTH:
        raise InvalidRotation("name", f"must be 1 to {MAX_NAME_LENGTH} characters")
    return stripped


def _validated_admins(emails: Iterable[str]) -> set[str]:
    admins = {email.strip() for email in emails if email.strip()}
    if not admins:
        raise InvalidRotation("admins", "a rotation needs at least one administrator")
    return admins


@dataclass
class Rotation:
    """A rotation and its plan; `shifts` is keyed by shift id and kept in time order."""

    id: str
    name: str
    spec: RotationSpec
    members: dict[str, Member] = field(default_factory=dict)
    admins: set[str] = field(default_factory=set)
    shifts: dict[str, Shift] = field(default_factory=dict)
    shift_revision: int = 0
    deleted: bool = False
    events: list[DomainEvent] = field(default_factory=list)

    @classmethod
    def create(cls, id: str, name: str, spec: RotationSpec, creator_email: str, now: datetime) -> Rotation:
        """A new rotation whose only administrator is its creator, with shifts laid out to the horizon."""
        require_utc("now", now)
        spec.validate()
        rotation = cls(id, _validated_name(name), spec, admins=_validated_admins([creator_email]))
        rotation.events.append(RotationCreated(id, rotation.name, spec, rotation.sorted_admins))
        rotation._reallocate(now)
        return rotation

    @property
    def sorted_admins(self) -> tuple[str, ...]:
        return tuple(sorted(self.admins))

    def is_admin(self, email: str) -> bool:
        return email in self.admins

    def update(self, now: datetime, *, name: str | None = None, spec: RotationSpec | None = None) -> None:
        """Rename and/or change the settings; a settings change reallocates future shifts."""
        self._ensure_alive()
        if spec is not None:
            spec.validate()
        new_name = _validated_name(name) if name is not None else self.name
        self.name = new_name
        self._record_updated()
        if spec is not None and spec != self.spec:
            self.spec = spec
            self._reallocate(now)

    def delete(self, now: datetime) -> None:
        """Mark the rotation deleted; every later command raises NotAllowed."""
        self._ensure_alive()
        self.deleted = True
        self.events.append(RotationDeleted(self.id))

    def add_member(self, member: Member, now: datetime) -> None:
        self._ensure_alive()
        member.validate()
        if member.email in self.members:
            raise DuplicateMember(member.email)
        if len(self.members) >= limits.MEMBERS_PER_ROTATION:
            raise InvalidRotation("members", f"a rotation has at most {limits.MEMBERS_PER_ROTATION} members")
        self.members[member.email] = member
        self.events.append(MemberAdded(self.id, member))
        self._reallocate(now, rebalance_towards={member.email})

    def remove_member(self, email: str, now: datetime) -> None:
        """Remove a member; only the future shifts they held are reassigned."""
        self._ensure_alive()
        self._member(email)
        del self.members[email]
        self.events.append(MemberRemoved(self.id, email))
        self._reallocate(now)

    def add_unavailability(self, email: str, interval: Interval, now: datetime) -> None:
        self._ensure_alive()
        self.members[email] = self._member(email).with_unavailability(interval)
        self.events.append(UnavailabilityAdded(self.id, email, interval))
        self._reallocate(now)

    def set_admins(self, emails: Iterable[str], now: datetime) -> None:
        self._ensure_alive()
        self.admins = _validated_admins(emails)
        self._record_updated()

    def reassign_shift(
        self, shift_id: str, now: datetime, *, primary: str | None = None, backup: str | None = None
    ) -> None:
        """Hand-assign one future shift (None leaves a role as it is); the result is pinned."""
        self._ensure_alive()
        shift = self._future_shift(shift_id, now)
        if primary is None and backup is None:
            raise InvalidRotation("primary", "name a primary and/or a backup")
        if backup is not None and not self.spec.backup:
            raise InvalidRotation("backup", "this rotation has no backup pattern")
        updated = replace(
            shift,
            primary=primary if primary is not None else shift.primary,
            backup=backup if backup is not None else shift.backup,
            pinned=True,
        )
        self._check_assignable(updated)
        self._reallocate(now, edited=[updated])

    def hand_over(self, shift_id: str, role: Role, to: str, now: datetime) -> None:
        """Give `role` of one future shift to the member `to`; the shift gets pinned."""
        self._ensure_alive()
        self._reallocate(now, edited=[self._handed_over(shift_id, role, to, now)])

    def check_hand_over(self, shift_id: str, role: Role, to: str, now: datetime) -> None:
        """Raise what `hand_over` would raise, changing nothing."""
        self._ensure_alive()
        self._handed_over(shift_id, role, to, now)

    def swap_role(self, shift_id: str, other_shift_id: str, role: Role, now: datetime) -> None:
        """Exchange the people in `role` of two future shifts; both get pinned."""
        self._ensure_alive()
        self._reallocate(now, edited=self._role_swapped(shift_id, other_shift_id, role, now))

    def check_swap_role(self, shift_id: str, other_shift_id: str, role: Role, now: datetime) -> None:
        """Raise what `swap_role` would raise, changing nothing."""
        self._ensure_alive()
        self._role_swapped(shift_id, other_shift_id, role, now)

    def swap_shifts(self, shift_id: str, other_shift_id: str, now: datetime) -> None:
        """Exchange the people (primary and backup together) of two future shifts; both get pinned."""
        self._ensure_alive()
        if shift_id == other_shift_id:
            raise InvalidRotation("other_shift_id", "a shift cannot be swapped with itself")
        first, second = self._future_shift(shift_id, now), self._future_shift(other_shift_id, now)
        new_first = replace(first, primary=second.primary, backup=second.backup, pinned=True)
        new_second = replace(second, primary=first.primary, backup=first.backup, pinned=True)
        self._check_assignable(new_first)
        self._check_assignable(new_second)
        self._reallocate(now, edited=[new_first, new_second])

    def roll_horizon(self, now: datetime) -> None:
        """Extend the plan to `now` + horizon (a periodic task calls this), and restore fairness.

        Edits change as few shifts as possible, so they can leave loads uneven (someone was away, a
        shift was pinned, the oldest shifts of the window became past); the roll evens them out,
        using the new shifts first and moving as few far-future shifts as it must."""
        self._ensure_alive()
        self._reallocate(now, rebalance_towards=self.members.keys())

    def _ensure_alive(self) -> None:
        if self.deleted:
            raise NotAllowed("the rotation has been deleted")

    def _record_updated(self) -> None:
        self.events.append(RotationUpdated(self.id, self.name, self.spec, self.sorted_admins))

    def _member(self, email: str) -> Member:
        if email not in self.members:
            raise UnknownMember(email)
        return self.members[email]

    def _future_shift(self, shift_id: str, now: datetime) -> Shift:
        if shift_id not in self.shifts:
            raise UnknownShift(shift_id)
        shift = self.shifts[shift_id]
        if shift.start < now:
            raise NotAllowed(f"shift {shift_id} has already started")
        return shift

    def _check_role(self, role: Role) -> None:
        if role == "backup" and not self.spec.backup:
            raise InvalidRotation("role", "this rotation has no backup pattern")

    def _handed_over(self, shift_id: str, role: Role, to: str, now: datetime) -> Shift:
        self._check_role(role)
        self._member(to)
        shift = self._future_shift(shift_id, now)
        updated = replace(shift.with_person(role, to), pinned=True)
        self._check_assignable(updated)
        return updated

    def _role_swapped(self, shift_id: str, other_shift_id: str, role: Role, now: datetime) -> list[Shift]:
        self._check_role(role)
        if shift_id == other_shift_id:
            raise InvalidRotation("other_shift_id", "a shift cannot be swapped with itself")
        first, second = self._future_shift(shift_id, now), self._future_shift(other_shift_id, now)
        new_first = replace(first.with_person(role, second.person(role)), pinned=True)
        new_second = replace(second.with_person(role, first.person(role)), pinned=True)
        self._check_assignable(new_first)
        self._check_assignable(new_second)
        return [new_first, new_second]

    def _check_assignable(self, shift: Shift) -> None:
        if shift.primary is not None and shift.primary == shift.backup:
            raise NotAllowed("primary and backup must be different people")
        for person in (shift.primary, shift.backup):
            if person is not None and not self._member(person).is_available(shift.start, shift.end):
                raise NotAllowed(f"{person} is unavailable during shift {shift.id}")

    def _reallocate(
        self, now: datetime, edited: Iterable[Shift] = (), rebalance_towards: Collection[str] = ()
    ) -> None:
        """Reallocate from the current shifts with `edited` ones replacing theirs; record what changed.

        Kept shifts move to other people only towards `rebalance_towards` (see `allocate`)."""
        require_utc("now", now)
        current = {**self.shifts, **{shift.id: shift for shift in edited}}
        members = list(self.members.values())
        planned = allocate(
            self.spec, members, list(current.values()), now, rebalance_towards=rebalance_towards
        )
        changed = [shift for shift in planned if _differs(self.shifts.get(shift.id), shift)]
        planned_ids = {shift.id for shift in planned}
        cancelled = [shift for shift in self.shifts.values() if shift.id not in planned_ids]
        if changed or cancelled:
            self.shift_revision += 1
            self.events.extend(
                ShiftAssignmentChanged(self.id, s, self.shift_revision, True) for s in cancelled
            )
            self.events.extend(ShiftAssignmentChanged(self.id, s, self.shift_revision) for s in changed)
        self.shifts = {shift.id: shift for shift in planned}


def _differs(before: Shift | None, after: Shift) -> bool:
    if before is None:  # a new shift is news only when it says something (a person or a conflict)
        return after.primary is not None or after.backup is not None or after.conflict
    return before != after
