"""Open shift requests whose shifts changed since they were asked are cancelled, with an event.

A request can only be accepted while its shifts are held as when it was asked; once an administrator
reassigned a role it names, a member it names left, or a settings change removed one of its shifts,
it would wait for nothing until it expires. It is cancelled in the same transaction as the change
(ShiftRequestOutdated, saying why and who made the change), so both people learn of it at once.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Literal

from oncall_contracts.rotation.v1 import ShiftRequestOutdated
from rotation_service.domain.rotation import Rotation
from rotation_service.domain.shift_requests import ShiftRequest
from rotation_service.service_layer.event_mapping import envelopes
from rotation_service.service_layer.unit_of_work import UnitOfWork

Reason = Literal["member_left", "shift_changed_hands", "shift_removed"]


def why_outdated(request: ShiftRequest, rotation: Rotation) -> Reason | None:
    """Why `request` no longer matches the rotation's shifts, or None while it still does."""
    if request.requested_by not in rotation.members or request.requested_of not in rotation.members:
        return "member_left"
    held = [(request.shift_id, request.requested_by)]
    if request.kind == "swap":
        held.append((request.other_shift_id or "", request.requested_of))
    for shift_id, holder in held:
        shift = rotation.shifts.get(shift_id)
        if shift is None:
            return "shift_removed"
        if shift.person(request.role) != holder:
            return "shift_changed_hands"
    return None


async def cancel_outdated(uow: UnitOfWork, rotation: Rotation, changed_by: str | None, now: datetime) -> int:
    """Cancels the rotation's open requests that `why_outdated` names; returns how many."""
    cancelled = 0
    for request in await uow.shift_requests.pending(rotation.id):
        reason = why_outdated(request, rotation) if request.is_open(now) else None
        if reason is None:
            continue
        await uow.shift_requests.put(
            replace(request, state="cancelled", decided_by=changed_by, decided_at=now)
        )
        event = ShiftRequestOutdated(
            rotation_id=request.rotation_id,
            request_id=request.id,
            kind=request.kind,
            shift_id=request.shift_id,
            other_shift_id=request.other_shift_id,
            role=request.role,
            requested_by=request.requested_by,
            requested_of=request.requested_of,
            expires_at=request.expires_at,
            reason=reason,
            changed_by=changed_by,
        )
        uow.outbox.add_all(envelopes([event], now, uuid.uuid4()))
        cancelled += 1
    return cancelled
