"""Routes: shifts and the on-call timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter
from pydantic import AwareDatetime

from oncall_contracts import limits
from rotation_service.domain.timeline import oncall_timeline
from rotation_service.entrypoints.api.auth import CurrentUser
from rotation_service.entrypoints.api.dependencies import ClockDep, Rotations
from rotation_service.entrypoints.api.schemas import OnCallOut, ShiftOut, ShiftPatch, ShiftSwap
from rotation_service.service_layer.errors import InvalidInput

router = APIRouter(prefix="/v1/rotations/{rotation_id}", tags=["shifts"])

MAX_RANGE = timedelta(days=limits.TIME_RANGE_DAYS)


def _bounded(since: datetime, until: datetime) -> None:
    """422 on `until` unless `[since, until)` is a non-empty range of at most MAX_RANGE."""
    if until <= since:
        raise InvalidInput("until", "must be after since")
    if until - since > MAX_RANGE:
        raise InvalidInput("until", f"the range from since to until spans at most {MAX_RANGE.days} days")


@router.get("/shifts")
async def list_shifts(
    rotation_id: str,
    user: CurrentUser,
    rotations: Rotations,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> list[ShiftOut]:
    if since is not None and until is not None:
        _bounded(since, until)
    _, shifts = await rotations.plan(rotation_id, since, until)
    return [ShiftOut.of(s) for s in shifts]


@router.patch("/shifts/{shift_id}")
async def reassign_shift(
    rotation_id: str, shift_id: str, body: ShiftPatch, user: CurrentUser, rotations: Rotations
) -> ShiftOut:
    changes = body.model_dump(exclude_unset=True)
    return ShiftOut.of(await rotations.reassign_shift(rotation_id, user, shift_id, changes))


@router.post("/shifts/{shift_id}/swap")
async def swap_shifts(
    rotation_id: str, shift_id: str, body: ShiftSwap, user: CurrentUser, rotations: Rotations
) -> list[ShiftOut]:
    swapped = await rotations.swap_shifts(rotation_id, user, shift_id, body.with_shift_id)
    return [ShiftOut.of(shift) for shift in swapped]


@router.get("/oncall")
async def oncall(
    rotation_id: str,
    user: CurrentUser,
    rotations: Rotations,
    clock: ClockDep,
    role: Literal["primary", "backup"] = "primary",
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> list[OnCallOut]:
    start = since or clock()
    if until is not None:
        _bounded(start, until)
    rotation, shifts = await rotations.plan(rotation_id, start, until)
    end = until or start + timedelta(days=rotation.spec.horizon_days)
    _bounded(start, end)
    entries = oncall_timeline(shifts, rotation.spec, role, start, end)
    return [OnCallOut(start=e.start, end=e.end, email=e.email) for e in entries]
