"""Pages: ask for a hand-over or a swap of your shift, and answer the requests you are asked.

Shifts change hands only when the person asked accepts (administrators may decide for them); the
calendar's "Reassign" stays an administrator's direct change."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from oncall_platform.clock import system_clock
from oncall_web import presenters
from oncall_web.api import ApiError
from oncall_web.views.common import (
    CheckedForm,
    SignedInCaller,
    form_error,
    redirect,
    render,
    rotation_path,
    text,
)

router = APIRouter()
STEPS = {"accept", "decline", "cancel"}


async def _plan(caller: SignedInCaller, rotation_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rotation = await caller.api.rotation(rotation_id)
    now = system_clock()
    shifts = await caller.api.shifts(rotation_id, now, now + timedelta(days=rotation["horizon_days"]))
    return rotation, [s for s in shifts if presenters.instant(s["start"]) > now]


def _held(shift: dict[str, Any], me: str) -> str | None:
    """The role `me` holds in the shift, if any."""
    if shift.get("primary") == me:
        return "primary"
    if shift.get("backup") == me:
        return "backup"
    return None


def _names(rotation: dict[str, Any]) -> dict[str, str]:
    return {m["email"]: m["name"] for m in rotation["members"]}


async def _ask_page(
    request: Request,
    caller: SignedInCaller,
    rotation_id: str,
    shift_id: str,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    rotation, shifts = await _plan(caller, rotation_id)
    shift = next((s for s in shifts if s["id"] == shift_id), None)
    role = None if shift is None else _held(shift, caller.email)
    if shift is None or role is None:
        raise ApiError(404, "you hold no such future shift in this rotation")
    zone, names = rotation["time_zone"], _names(rotation)
    others = [
        {"id": s["id"], "label": f"{_when(s['start'], zone)}: {names.get(s[role], s[role])}"}
        for s in shifts
        if s["id"] != shift_id and s.get(role) not in (None, caller.email)
    ]
    return render(
        request,
        "shift_request.html",
        status_code,
        rotation=rotation,
        shift=shift,
        role=role,
        others=others,
        errors=errors or {},
        when=lambda value: _when(value, zone),
    )


def _when(value: str, zone: str) -> str:
    return presenters.when(presenters.instant(value), zone)


@router.get("/rotations/{rotation_id}/shifts/{shift_id}/request")
async def ask_page(request: Request, rotation_id: str, shift_id: str, caller: SignedInCaller) -> Response:
    return await _ask_page(request, caller, rotation_id, shift_id)


@router.post("/rotations/{rotation_id}/shifts/{shift_id}/request")
async def ask(
    request: Request, rotation_id: str, shift_id: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    body: dict[str, Any] = {"kind": text(form, "kind"), "shift_id": shift_id, "role": text(form, "role")}
    if body["kind"] == "swap":
        body["with_shift_id"] = text(form, "with_shift_id")
    else:
        body["to"] = text(form, "to")
    try:
        await caller.api.ask_shift_request(rotation_id, body)
    except ApiError as error:
        return await _ask_page(request, caller, rotation_id, shift_id, 422, form_error(error))
    return redirect(rotation_path(rotation_id, "requests"))


@router.get("/requests")
async def my_requests_page(request: Request, caller: SignedInCaller) -> Response:
    """Your open requests of every rotation, each linking to its rotation's page to answer it."""
    mine = await caller.api.my_shift_requests()
    ids = sorted({r["rotation_id"] for r in mine})
    rotations = dict(zip(ids, await asyncio.gather(*(caller.api.rotation(i) for i in ids)), strict=True))
    names = {email: name for rotation in rotations.values() for email, name in _names(rotation).items()}
    return render(
        request,
        "my_shift_requests.html",
        200,
        requests=mine,
        rotations=rotations,
        name=lambda email: names.get(email, email),
        when=_when,
    )


@router.get("/rotations/{rotation_id}/requests")
async def requests_page(request: Request, rotation_id: str, caller: SignedInCaller) -> Response:
    return await _requests_page(request, caller, rotation_id)


async def _requests_page(
    request: Request, caller: SignedInCaller, rotation_id: str, status_code: int = 200, error: str = ""
) -> Response:
    rotation = await caller.api.rotation(rotation_id)
    pending = await caller.api.shift_requests(rotation_id)
    zone, names = rotation["time_zone"], _names(rotation)
    return render(
        request,
        "shift_requests.html",
        status_code,
        rotation=rotation,
        requests=pending,
        admin=caller.is_admin(rotation),
        error=error,
        name=lambda email: names.get(email, email),
        when=lambda value: presenters.when(presenters.instant(value), zone),
    )


@router.post("/rotations/{rotation_id}/requests/{request_id}/{step}")
async def decide(
    request: Request, rotation_id: str, request_id: str, step: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    if step not in STEPS:
        raise ApiError(404, "no such step")
    try:
        await caller.api.decide_shift_request(rotation_id, request_id, step)
    except ApiError as error:
        return await _requests_page(request, caller, rotation_id, 409, error.message)
    return redirect(rotation_path(rotation_id, "requests"))
