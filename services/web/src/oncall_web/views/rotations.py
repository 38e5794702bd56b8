"""The start page (all rotations), a rotation's page (on call now, members and load, the calendar, the
sync status), creating and editing rotations, members and shifts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

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
from oncall_web.views.rotation_form import FIELDS, FormInvalid, RotationFields

router = APIRouter()
DEFAULT_WEEKS = 26
MAX_WEEKS = 52


def _now() -> datetime:
    return system_clock()


@router.get("/")
async def start_page(request: Request, caller: SignedInCaller) -> Response:
    rotations = await caller.api.rotations()
    rows = [
        {**r, "mine": caller.email in {m["email"] for m in r["members"]}, "admin": caller.is_admin(r)}
        for r in rotations
    ]
    return render(request, "rotations.html", rotations=rows)


@router.get("/rotations/new")
async def new_rotation(request: Request, caller: SignedInCaller) -> Response:
    return render(
        request, "rotation_form.html", rotation=None, fields=RotationFields.blank(_now()).values(), errors={}
    )


@router.post("/rotations")
async def create_rotation(request: Request, caller: SignedInCaller, form: CheckedForm) -> Response:
    fields = RotationFields.of_form(form)
    try:
        created = await caller.api.create_rotation(fields.body())
    except (FormInvalid, ApiError) as error:
        return _form_again(request, None, fields, error)
    return redirect(rotation_path(created["id"]))


@router.get("/rotations/{rotation_id}/edit")
async def edit_rotation(request: Request, rotation_id: str, caller: SignedInCaller) -> Response:
    rotation = await caller.api.rotation(rotation_id)
    fields = RotationFields.of(rotation).values()
    return render(request, "rotation_form.html", rotation=rotation, fields=fields, errors={})


@router.post("/rotations/{rotation_id}/edit")
async def update_rotation(
    request: Request, rotation_id: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    fields = RotationFields.of_form(form)
    try:
        await caller.api.update_rotation(rotation_id, fields.body())
    except (FormInvalid, ApiError) as error:
        return _form_again(request, await caller.api.rotation(rotation_id), fields, error)
    return redirect(rotation_path(rotation_id))


def _form_again(
    request: Request, rotation: dict[str, Any] | None, fields: RotationFields, error: FormInvalid | ApiError
) -> Response:
    errors = error.errors if isinstance(error, FormInvalid) else form_error(error)
    unplaced = {k: v for k, v in errors.items() if k not in FIELDS}
    if unplaced:
        errors = {**errors, "form": "; ".join(unplaced.values())}
    return render(
        request, "rotation_form.html", 422, rotation=rotation, fields=fields.values(), errors=errors
    )


@router.get("/rotations/{rotation_id}")
async def rotation_page(
    request: Request, rotation_id: str, caller: SignedInCaller, weeks: int = DEFAULT_WEEKS, mine: bool = False
) -> Response:
    now = _now()
    rotation = await caller.api.rotation(rotation_id)
    # The calendar shows what is planned: no more weeks than the rotation's horizon.
    weeks = max(1, min(weeks, MAX_WEEKS, -(-rotation["horizon_days"] // 7)))
    until = now + timedelta(weeks=weeks)
    shifts, primary, backup, integration = await asyncio.gather(
        caller.api.shifts(rotation_id, now, until),
        caller.api.oncall(rotation_id, "primary", now, until),
        caller.api.oncall(rotation_id, "backup", now, until) if rotation["backup"] else _nothing(),
        caller.api.integration(rotation_id),
    )
    zone = rotation["time_zone"]
    shown = [s for s in shifts if caller.email in (s["primary"], s["backup"])] if mine else shifts
    names = {m["email"]: m["name"] for m in rotation["members"]}
    return render(
        request,
        "rotation.html",
        rotation=rotation,
        summary=presenters.summary(rotation),
        admin=caller.is_admin(rotation),
        names=names,
        loads=presenters.member_load(rotation["members"], shifts, primary, backup),
        weeks=presenters.calendar(shown, zone, now, caller.email, names),
        weeks_shown=weeks,
        mine=mine,
        on_call={
            "primary": presenters.who_is_on_call(primary, now),
            "backup": presenters.who_is_on_call(backup, now),
        },
        sync=presenters.sync_view(rotation, integration, now),
        when=lambda moment: presenters.when(moment, zone),
    )


async def _nothing() -> list[dict[str, Any]]:
    return []


@router.get("/rotations/{rotation_id}/sync-status")
async def sync_status(request: Request, rotation_id: str, caller: SignedInCaller) -> Response:
    """The sync status fragment that the rotation page and the settings refresh every few seconds."""
    rotation, integration = await asyncio.gather(
        caller.api.rotation(rotation_id), caller.api.integration(rotation_id)
    )
    return render(request, "_sync_status.html", sync=presenters.sync_view(rotation, integration, _now()))


@router.post("/rotations/{rotation_id}/members")
async def add_member(
    request: Request, rotation_id: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    rotation = await caller.api.rotation(rotation_id)
    body = {
        "email": text(form, "email").lower(),
        "name": text(form, "name"),
        "time_zone": text(form, "time_zone") or rotation["time_zone"],
    }
    try:
        await caller.api.add_member(rotation_id, body)
    except ApiError as error:
        return render(
            request, "member_form.html", 422, rotation=rotation, values=body, errors=_member_errors(error)
        )
    return redirect(rotation_path(rotation_id) + "#members")


def _member_errors(error: ApiError) -> dict[str, str]:
    if error.status_code == 409:
        return {"email": "this person is already a member of the rotation"}
    errors = form_error(error)
    if "form" in errors and "email" not in errors and error.status_code == 422:
        return {"email": errors["form"]}
    return errors


@router.get("/rotations/{rotation_id}/members/new")
async def new_member(request: Request, rotation_id: str, caller: SignedInCaller) -> Response:
    rotation = await caller.api.rotation(rotation_id)
    values = {"email": "", "name": "", "time_zone": rotation["time_zone"]}
    return render(request, "member_form.html", rotation=rotation, values=values, errors={})


@router.post("/rotations/{rotation_id}/members/{email}/remove")
async def remove_member(
    request: Request, rotation_id: str, email: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    await caller.api.remove_member(rotation_id, email)
    return redirect(rotation_path(rotation_id) + "#members")


@router.get("/rotations/{rotation_id}/members/{email}/unavailable")
async def unavailability_page(
    request: Request, rotation_id: str, email: str, caller: SignedInCaller
) -> Response:
    rotation = await caller.api.rotation(rotation_id)
    member = _member(rotation, email)
    return render(request, "unavailable.html", rotation=rotation, member=member, values={}, errors={})


@router.post("/rotations/{rotation_id}/members/{email}/unavailable")
async def add_unavailability(
    request: Request, rotation_id: str, email: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    rotation = await caller.api.rotation(rotation_id)
    member = _member(rotation, email)
    values = {"start": text(form, "start"), "end": text(form, "end")}
    errors: dict[str, str] = {}
    try:
        start = presenters.parse_local(values["start"], rotation["time_zone"])
        end = presenters.parse_local(values["end"], rotation["time_zone"])
        await caller.api.add_unavailability(rotation_id, email, start, end)
    except ValueError:
        errors = {"start": "give the first and the last moment, such as 2026-12-24T00:00"}
    except ApiError as error:
        errors = form_error(error)
    if errors:
        return render(
            request, "unavailable.html", 422, rotation=rotation, member=member, values=values, errors=errors
        )
    return redirect(rotation_path(rotation_id) + "#members")


def _member(rotation: dict[str, Any], email: str) -> dict[str, Any]:
    for member in rotation["members"]:
        if member["email"] == email:
            return member  # type: ignore[no-any-return]
    raise ApiError(404, f"{email} is not a member of {rotation['name']}")


@router.get("/rotations/{rotation_id}/shifts/{shift_id}")
async def shift_page(request: Request, rotation_id: str, shift_id: str, caller: SignedInCaller) -> Response:
    rotation, shift = await _shift(caller, rotation_id, shift_id)
    return render(request, "shift.html", rotation=rotation, shift=shift, errors={}, when=_when(rotation))


@router.post("/rotations/{rotation_id}/shifts/{shift_id}")
async def reassign_shift(
    request: Request, rotation_id: str, shift_id: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    body: dict[str, Any] = {"primary": text(form, "primary") or None}
    if "backup" in form:
        body["backup"] = text(form, "backup") or None
    try:
        await caller.api.reassign_shift(rotation_id, shift_id, body)
    except ApiError as error:
        rotation, shift = await _shift(caller, rotation_id, shift_id)
        return render(
            request,
            "shift.html",
            422,
            rotation=rotation,
            shift=shift,
            errors=form_error(error),
            when=_when(rotation),
        )
    return redirect(rotation_path(rotation_id) + "#calendar")


async def _shift(
    caller: SignedInCaller, rotation_id: str, shift_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    rotation = await caller.api.rotation(rotation_id)
    now = _now()
    shifts = await caller.api.shifts(
        rotation_id, now - timedelta(days=1), now + timedelta(days=rotation["horizon_days"])
    )
    for shift in shifts:
        if shift["id"] == shift_id:
            return rotation, shift
    raise ApiError(404, "that shift is not in the coming weeks of this rotation")


def _when(rotation: dict[str, Any]) -> Any:
    zone = rotation["time_zone"]
    return lambda text: presenters.when(presenters.instant(text), zone)
