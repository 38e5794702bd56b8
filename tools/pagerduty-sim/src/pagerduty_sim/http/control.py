"""Test controls under /_sim/: clock, faults, request log, reset, and read-only inspection.

Inspection routes (`/_sim/users`, `/_sim/schedules/{id}/final`, `/_sim/schedules/{id}/writes`) pick
the account with the usual `Authorization: Token token=<key>` header; they are not rate limited and
not logged. `/final` can long-poll: see `inspect_final`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerduty_sim.api.schedules import find_schedule, render_window
from pagerduty_sim.errors import ApiError, authentication_failed, invalid_input
from pagerduty_sim.http.faults import Faults
from pagerduty_sim.http.gateway import ControlState, _key
from pagerduty_sim.model.account import Account
from pagerduty_sim.rendering import render_schedule
from pagerduty_sim.simulator import Simulator
from pagerduty_sim.timeutil import InvalidTimeError, format_utc, parse_instant, zone


def _sim(request: Request) -> Simulator:
    simulator: Simulator = request.app.state.simulator
    return simulator


def _control(request: Request) -> ControlState:
    control: ControlState = request.app.state.control
    return control


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise invalid_input("body must be JSON") from None
    if not isinstance(body, dict):
        raise invalid_input("body must be a JSON object")
    return body


async def set_clock(request: Request) -> Response:
    """`{"now": "<ISO instant>", "frozen": false}` or `{"advance_seconds": N}` -> `{"now": ...}`."""
    body, clock = await _json(request), _sim(request).clock
    if "now" in body:
        try:
            clock.set(parse_instant(str(body["now"]), zone("UTC")), frozen=bool(body.get("frozen", False)))
        except InvalidTimeError as error:
            raise invalid_input(str(error)) from None
    elif "advance_seconds" in body:
        clock.advance(float(body["advance_seconds"]))
    else:
        raise invalid_input("give now or advance_seconds")
    return JSONResponse({"now": format_utc(clock.now())})


async def get_clock(request: Request) -> Response:
    return JSONResponse({"now": format_utc(_sim(request).clock.now())})


async def set_faults(request: Request) -> Response:
    """Replace the fault settings (an empty object clears them); see `Faults` for the fields."""
    try:
        _control(request).faults = Faults.from_json(await _json(request))
    except (TypeError, ValueError) as error:
        raise invalid_input(str(error)) from None
    return JSONResponse({"faults": "set"})


async def list_requests(request: Request) -> Response:
    return JSONResponse({"requests": _control(request).requests})


async def reset(request: Request) -> Response:
    """Forget all data, requests, faults and rate-limit counts; the clock returns to real time."""
    sim, control = _sim(request), _control(request)
    sim.reset_state()
    sim.clock.reset()
    control.requests.clear()
    control.faults = Faults()
    control.limiter.reset()
    return Response(status_code=204)


async def inspect_users(request: Request) -> Response:
    account = _account(request)
    users = [{"id": u.id, "name": u.name, "email": u.email} for u in account.users.values()]
    return JSONResponse({"users": users})


# The longest a long-poll of `/_sim/schedules/{id}/final` may wait.
MAX_WAIT_S = 60.0


async def inspect_final(request: Request) -> Response:
    """The final schedule over `since`/`until` as UTC `{start, end, user_id}` entries, with the
    schedule's `revision`; `unless_revision=N` answers `{"revision": N, "unchanged": true}` without
    rendering when no write happened since (for pollers).

    Long-poll: `after_revision=N&timeout_s=T` renders at once when the revision is newer than N,
    otherwise waits (for the schedule's next write, without blocking the event loop) up to T seconds
    (at most MAX_WAIT_S) and answers `{"revision": ..., "unchanged": true}` if none came."""
    sim, account = _sim(request), _account(request)
    schedule_id = request.path_params["id"]
    after, timeout_s = _long_poll(request)
    # Taken before the revision is read, with no await between: no write can slip past unnoticed.
    changed = sim.write_log.changed(account.config.subdomain, schedule_id)
    schedule = find_schedule(account, schedule_id)
    if after is not None and schedule.revision <= after and timeout_s > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout_s)
        schedule = find_schedule(account, schedule_id)  # deleted meanwhile: 404
    if after is not None and schedule.revision <= after:
        return JSONResponse({"revision": schedule.revision, "unchanged": True})
    if request.query_params.get("unless_revision") == str(schedule.revision):
        return JSONResponse({"revision": schedule.revision, "unchanged": True})
    window = render_window(dict(request.query_params), schedule.time_zone, sim.clock.now())
    if window is None:
        raise invalid_input("since and until are required")
    final = render_schedule(schedule, *window, sim.config.dst).final
    entries = [{"start": format_utc(e.start), "end": format_utc(e.end), "user_id": e.user_id} for e in final]
    return JSONResponse({"revision": schedule.revision, "entries": entries})


def _long_poll(request: Request) -> tuple[int | None, float]:
    """`after_revision` and `timeout_s` of a long-poll (None, 0 when not one)."""
    raw_after, raw_timeout = request.query_params.get("after_revision"), request.query_params.get("timeout_s")
    try:
        after = int(raw_after) if raw_after is not None else None
        timeout_s = float(raw_timeout) if raw_timeout is not None else 0.0
    except ValueError:
        raise invalid_input("after_revision must be an integer and timeout_s a number") from None
    if not 0 <= timeout_s <= MAX_WAIT_S:
        raise invalid_input(f"timeout_s must be between 0 and {MAX_WAIT_S:g}")
    return after, timeout_s


async def inspect_writes(request: Request) -> Response:
    """The writes applied to the schedule, oldest first: `{revision, applied_at, monotonic,
    operation}` each (see `pagerduty_sim.writes`); `after_revision=N` keeps the later ones only. Kept
    for a deleted schedule too; forgotten by a reset and a restart."""
    sim, account = _sim(request), _account(request)
    raw = request.query_params.get("after_revision")
    try:
        after = int(raw) if raw is not None else None
    except ValueError:
        raise invalid_input("after_revision must be an integer") from None
    writes = sim.write_log.of(account.config.subdomain, request.path_params["id"], after)
    return JSONResponse({"writes": [write.json() for write in writes]})


def _account(request: Request) -> Account:
    key = _key(request.scope)
    caller = _sim(request).caller_for_key(key) if key else None
    if caller is None:
        raise authentication_failed()
    return caller.account


def _guarded(handler: Any) -> Any:
    async def guarded(request: Request) -> Response:
        try:
            response: Response = await handler(request)
        except ApiError as error:
            return JSONResponse(error.body(), status_code=error.status)
        return response

    return guarded


CONTROL_ROUTES = [
    Route("/_sim/clock", _guarded(set_clock), methods=["POST"]),
    Route("/_sim/clock", _guarded(get_clock), methods=["GET"]),
    Route("/_sim/faults", _guarded(set_faults), methods=["POST"]),
    Route("/_sim/requests", _guarded(list_requests), methods=["GET"]),
    Route("/_sim/reset", _guarded(reset), methods=["POST"]),
    Route("/_sim/users", _guarded(inspect_users), methods=["GET"]),
    Route("/_sim/schedules/{id}/final", _guarded(inspect_final), methods=["GET"]),
    Route("/_sim/schedules/{id}/writes", _guarded(inspect_writes), methods=["GET"]),
]
