"""Rotation Settings (the Rotation Configuration Page): administrators and the PagerDuty integration.

Only a rotation's administrators change anything here (the API enforces it); everyone else sees the
settings read-only, with the administrators named.
"""

from __future__ import annotations

import asyncio
import re
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

router = APIRouter()


def _settings_path(rotation_id: str) -> str:
    return rotation_path(rotation_id, "settings")


@router.get("/rotations/{rotation_id}/settings")
async def settings_page(request: Request, rotation_id: str, caller: SignedInCaller) -> Response:
    rotation, integration = await asyncio.gather(
        caller.api.rotation(rotation_id), caller.api.integration(rotation_id)
    )
    return _settings(request, caller, rotation, integration, errors={})


def _settings(
    request: Request,
    caller: SignedInCaller,
    rotation: dict[str, Any],
    integration: dict[str, Any] | None,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "settings.html",
        status_code,
        rotation=rotation,
        summary=presenters.summary(rotation),
        admin=caller.is_admin(rotation),
        sync=presenters.sync_view(rotation, integration, system_clock()),
        errors=errors,
    )


@router.post("/rotations/{rotation_id}/settings/admins")
async def set_admins(
    request: Request, rotation_id: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    admins = [a.lower() for a in re.split(r"[\s,;]+", text(form, "admins")) if a]
    try:
        await caller.api.set_admins(rotation_id, admins)
    except ApiError as error:
        rotation, integration = await asyncio.gather(
            caller.api.rotation(rotation_id), caller.api.integration(rotation_id)
        )
        messages = form_error(error)
        return _settings(
            request, caller, rotation, integration, {"admins": "; ".join(messages.values())}, 422
        )
    return redirect(_settings_path(rotation_id))


@router.get("/rotations/{rotation_id}/settings/pagerduty")
async def pagerduty_form(request: Request, rotation_id: str, caller: SignedInCaller) -> Response:
    rotation, integration, candidates = await asyncio.gather(
        caller.api.rotation(rotation_id),
        caller.api.integration(rotation_id),
        caller.api.merge_candidates(rotation_id),
    )
    values = _initial_values(rotation, integration)
    return _pagerduty(request, caller, rotation, integration, candidates, values, {})


def _initial_values(rotation: dict[str, Any], integration: dict[str, Any] | None) -> dict[str, str]:
    if integration is None or integration["mode"] != "own":
        merge_with = integration["target_rotation_id"] if integration else ""
        mode = "merge" if integration else "own"
        return {
            "mode": mode,
            "schedule_name": rotation["name"],
            "subdomain": "",
            "region": "us",
            "merge_with": merge_with,
        }
    account = integration["account"]
    return {
        "mode": "own",
        "schedule_name": integration["schedule_name"],
        "subdomain": account["subdomain"],
        "region": account["region"],
        "merge_with": "",
    }


def _pagerduty(
    request: Request,
    caller: SignedInCaller,
    rotation: dict[str, Any],
    integration: dict[str, Any] | None,
    candidates: list[dict[str, Any]],
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "pagerduty.html",
        status_code,
        rotation=rotation,
        integration=integration,
        admin=caller.is_admin(rotation),
        candidates=candidates,
        has_key=integration is not None and integration["mode"] == "own",
        values=values,
        errors=errors,
    )


@router.post("/rotations/{rotation_id}/settings/pagerduty")
async def save_pagerduty(
    request: Request, rotation_id: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    values = {
        name: text(form, name) for name in ("mode", "schedule_name", "subdomain", "region", "merge_with")
    }
    if values["mode"] == "merge":
        body: dict[str, Any] = {"mode": "merge", "merge_with": values["merge_with"]}
        errors = {} if values["merge_with"] else {"merge_with": "choose the rotation whose schedule to share"}
    else:
        body = {
            "mode": "own",
            "schedule_name": values["schedule_name"] or None,
            "subdomain": values["subdomain"],
            "region": values["region"] or "us",
        }
        key = text(form, "api_key")
        if key:
            body["api_key"] = key
        errors = {} if values["subdomain"] else {"subdomain": "the part before .pagerduty.com, such as acme"}
    if not errors:
        try:
            await caller.api.configure_pagerduty(rotation_id, body)
            return redirect(_settings_path(rotation_id))
        except ApiError as error:
            errors = form_error(error)
    rotation, integration, candidates = await asyncio.gather(
        caller.api.rotation(rotation_id),
        caller.api.integration(rotation_id),
        caller.api.merge_candidates(rotation_id),
    )
    return _pagerduty(request, caller, rotation, integration, candidates, values, errors, 422)


@router.get("/rotations/{rotation_id}/settings/pagerduty/delete")
async def confirm_delete(request: Request, rotation_id: str, caller: SignedInCaller) -> Response:
    rotation, integration = await asyncio.gather(
        caller.api.rotation(rotation_id), caller.api.integration(rotation_id)
    )
    if integration is None:
        return redirect(_settings_path(rotation_id))
    return render(
        request,
        "pagerduty_delete.html",
        rotation=rotation,
        integration=integration,
        admin=caller.is_admin(rotation),
    )


@router.post("/rotations/{rotation_id}/settings/pagerduty/delete")
async def delete_pagerduty(
    request: Request, rotation_id: str, caller: SignedInCaller, form: CheckedForm
) -> Response:
    await caller.api.remove_pagerduty(rotation_id)
    return redirect(_settings_path(rotation_id))
