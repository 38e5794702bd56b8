"""Routes: hand-over and swap requests, which the person asked accepts or declines."""

from __future__ import annotations

from fastapi import APIRouter, status

from rotation_service.entrypoints.api.auth import CurrentUser
from rotation_service.entrypoints.api.dependencies import ClockDep, ShiftRequests
from rotation_service.entrypoints.api.schemas import HandOverRequest, ShiftRequestCreate, ShiftRequestOut

router = APIRouter(prefix="/v1/rotations/{rotation_id}/shift-requests", tags=["shift requests"])
mine_router = APIRouter(prefix="/v1/me/shift-requests", tags=["shift requests"])


@mine_router.get("")
async def mine(user: CurrentUser, requests: ShiftRequests, clock: ClockDep) -> list[ShiftRequestOut]:
    """The open requests you made or are asked, in every rotation, oldest first (at most 200)."""
    now = clock()
    return [ShiftRequestOut.of(r, now) for r in await requests.mine(user)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def ask(
    rotation_id: str, body: ShiftRequestCreate, user: CurrentUser, requests: ShiftRequests, clock: ClockDep
) -> ShiftRequestOut:
    """Ask for a hand-over of your role of a shift, or a swap of it; nothing changes until the person
    asked accepts (ShiftRequested; then ShiftRequestAccepted, Declined, Cancelled or Expired)."""
    if isinstance(body, HandOverRequest):
        request = await requests.ask_hand_over(rotation_id, user, body.shift_id, body.role, body.to)
    else:
        request = await requests.ask_swap(rotation_id, user, body.shift_id, body.role, body.with_shift_id)
    return ShiftRequestOut.of(request, clock())


@router.get("")
async def pending(
    rotation_id: str, user: CurrentUser, requests: ShiftRequests, clock: ClockDep
) -> list[ShiftRequestOut]:
    """The open requests you made or are asked (an administrator sees all of the rotation's)."""
    now = clock()
    return [ShiftRequestOut.of(r, now) for r in await requests.pending(rotation_id, user)]


@router.post("/{request_id}/accept")
async def accept(
    rotation_id: str, request_id: str, user: CurrentUser, requests: ShiftRequests, clock: ClockDep
) -> ShiftRequestOut:
    """The person asked accepts (an administrator may, forcing it): the shifts change hands."""
    return ShiftRequestOut.of(await requests.accept(rotation_id, request_id, user), clock())


@router.post("/{request_id}/decline")
async def decline(
    rotation_id: str, request_id: str, user: CurrentUser, requests: ShiftRequests, clock: ClockDep
) -> ShiftRequestOut:
    return ShiftRequestOut.of(await requests.decline(rotation_id, request_id, user), clock())


@router.post("/{request_id}/cancel")
async def cancel(
    rotation_id: str, request_id: str, user: CurrentUser, requests: ShiftRequests, clock: ClockDep
) -> ShiftRequestOut:
    """The person who asked withdraws it (or an administrator)."""
    return ShiftRequestOut.of(await requests.cancel(rotation_id, request_id, user), clock())
