"""Shifts change hands only with consent: a holder asks, the person asked accepts or declines.

A holder may ask for two things, and only about their own role of a shift:
- a hand-over: someone else takes their role of a shift;
- a swap: they exchange their role of a shift with whoever holds that role of another shift.

Nothing changes until the person asked accepts; an administrator of the rotation may decide for them
(`forced`). A request stays open until it is decided, withdrawn, or expires: after REQUEST_LIFETIME, and
at the latest when a shift it names starts. Accepting checks again that the shifts are still held as
when asked; if not, accepting fails and changes nothing (the request can be withdrawn, or expires).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from rotation_service.domain.errors import InvalidRotation, NotAllowed, NotYours, RequestClosed, UnknownShift
from rotation_service.domain.model import Role, Shift, require_utc
from rotation_service.domain.rotation import Rotation

RequestKind = Literal["hand_over", "swap"]
RequestState = Literal["pending", "accepted", "declined", "cancelled", "expired"]
REQUEST_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class ShiftRequest:
    """`requested_by` asks `requested_of` to take (`hand_over`) or exchange (`swap`) `role` of shifts."""

    id: str
    rotation_id: str
    kind: RequestKind
    shift_id: str
    role: Role
    requested_by: str
    requested_of: str
    created_at: datetime
    expires_at: datetime
    other_shift_id: str | None = None
    state: RequestState = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None
    forced: bool = False

    def involves(self, email: str) -> bool:
        return email in (self.requested_by, self.requested_of)

    def is_open(self, now: datetime) -> bool:
        return self.state == "pending" and now < self.expires_at

    def state_at(self, now: datetime) -> RequestState:
        """The state as people see it: a pending request past its expiry is expired."""
        return "expired" if self.state == "pending" and now >= self.expires_at else self.state


def _shift(rotation: Rotation, shift_id: str) -> Shift:
    if shift_id not in rotation.shifts:
        raise UnknownShift(shift_id)
    return rotation.shifts[shift_id]


def _require_holder(shift: Shift, role: Role, email: str) -> None:
    if shift.person(role) != email:
        raise NotYours(
            f"{email} is not the {role} of shift {shift.id}; a holder hands over only their own role"
        )


def _expiry(now: datetime, *shifts: Shift) -> datetime:
    return min(now + REQUEST_LIFETIME, *(shift.start for shift in shifts))


def ask_hand_over(
    rotation: Rotation, request_id: str, shift_id: str, role: Role, requester: str, to: str, now: datetime
) -> ShiftRequest:
    """`requester`, holding `role` of the shift, asks `to` to take it over."""
    require_utc("now", now)
    shift = _shift(rotation, shift_id)
    _require_holder(shift, role, requester)
    if to == requester:
        raise InvalidRotation("to", "ask someone else to take the shift")
    rotation.check_hand_over(shift_id, role, to, now)
    return ShiftRequest(
        request_id, rotation.id, "hand_over", shift_id, role, requester, to, now, _expiry(now, shift)
    )


def ask_swap(
    rotation: Rotation,
    request_id: str,
    shift_id: str,
    role: Role,
    requester: str,
    other_shift_id: str,
    now: datetime,
) -> ShiftRequest:
    """`requester`, holding `role` of the shift, asks the holder of `role` of the other shift to swap."""
    require_utc("now", now)
    shift, other = _shift(rotation, shift_id), _shift(rotation, other_shift_id)
    _require_holder(shift, role, requester)
    counterpart = other.person(role)
    if counterpart is None:
        raise NotAllowed(f"nobody is the {role} of shift {other_shift_id}: ask for a hand-over instead")
    if counterpart == requester:
        raise InvalidRotation("with_shift_id", f"{requester} is the {role} of both shifts")
    rotation.check_swap_role(shift_id, other_shift_id, role, now)
    return ShiftRequest(
        request_id,
        rotation.id,
        "swap",
        shift_id,
        role,
        requester,
        counterpart,
        now,
        _expiry(now, shift, other),
        other_shift_id=other_shift_id,
    )


def _require_open(request: ShiftRequest, now: datetime) -> None:
    state = request.state_at(now)
    if state != "pending":
        raise RequestClosed(f"request {request.id} is {state}")


def _decided(
    request: ShiftRequest, state: RequestState, actor: str, now: datetime, forced: bool
) -> ShiftRequest:
    return replace(request, state=state, decided_by=actor, decided_at=now, forced=forced)


def _still_as_asked(request: ShiftRequest, rotation: Rotation) -> bool:
    shift = rotation.shifts.get(request.shift_id)
    if shift is None or shift.person(request.role) != request.requested_by:
        return False
    if request.kind == "hand_over":
        return True
    other = rotation.shifts.get(request.other_shift_id or "")
    return other is not None and other.person(request.role) == request.requested_of


def accept(
    request: ShiftRequest, rotation: Rotation, actor: str, now: datetime, *, as_admin: bool = False
) -> ShiftRequest:
    """The person asked (or an administrator, forcing it) accepts: the shifts change hands."""
    _require_open(request, now)
    forced = actor != request.requested_of
    if forced and not as_admin:
        raise NotYours(f"only {request.requested_of} (or an administrator) can accept request {request.id}")
    if not _still_as_asked(request, rotation):
        raise RequestClosed(f"the shifts of request {request.id} changed hands since it was made; ask again")
    if request.kind == "hand_over":
        rotation.hand_over(request.shift_id, request.role, request.requested_of, now)
    else:
        rotation.swap_role(request.shift_id, request.other_shift_id or "", request.role, now)
    return _decided(request, "accepted", actor, now, forced)


def decline(request: ShiftRequest, actor: str, now: datetime, *, as_admin: bool = False) -> ShiftRequest:
    """The person asked (or an administrator) says no; nothing changes."""
    _require_open(request, now)
    forced = actor != request.requested_of
    if forced and not as_admin:
        raise NotYours(f"only {request.requested_of} (or an administrator) can decline request {request.id}")
    return _decided(request, "declined", actor, now, forced)


def cancel(request: ShiftRequest, actor: str, now: datetime, *, as_admin: bool = False) -> ShiftRequest:
    """The person who asked (or an administrator) withdraws the request."""
    _require_open(request, now)
    forced = actor != request.requested_by
    if forced and not as_admin:
        raise NotYours(f"only {request.requested_by} (or an administrator) can withdraw request {request.id}")
    return _decided(request, "cancelled", actor, now, forced)


def expire(request: ShiftRequest, now: datetime) -> ShiftRequest | None:
    """The request marked expired, or None when it is not a pending request past its expiry."""
    if request.state_at(now) != "expired" or request.state == "expired":
        return None
    return replace(request, state="expired", decided_at=request.expires_at)


class Closing(Protocol):
    """`decline` or `cancel`."""

    def __call__(
        self, request: ShiftRequest, actor: str, now: datetime, *, as_admin: bool = False
    ) -> ShiftRequest: ...


Asking = Callable[[Rotation, str, datetime], ShiftRequest]
"""Makes a request in a rotation, given the new request's id and `now`."""
