"""PagerDuty REST API v2 routes: parse the request, validate it, call the JSON-level operation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pagerduty_sim.api import overrides, schedules, users
from pagerduty_sim.errors import ApiError, invalid_input, not_found
from pagerduty_sim.model.account import Account
from pagerduty_sim.openapi import OpenApiDocument
from pagerduty_sim.simulator import Caller, Simulator

Operation = Callable[["Call"], Any]


class Call:
    """One request as the operations see it: account, path values, query, validated body."""

    def __init__(self, request: Request, body: Any) -> None:
        self.request = request
        self.body = body
        caller: Caller = request.scope["state"]["caller"]
        self.account: Account = caller.account
        self.sim: Simulator = request.app.state.simulator
        self.path = request.path_params
        self.params = dict(request.query_params)
        self.includes = request.query_params.getlist("include[]")


def endpoint(template: str, method: str, operation: Operation) -> Route:
    """A route whose request body is checked against the document's schema for `template`."""

    async def handle(request: Request) -> Response:
        try:
            body = await _body(request, template, method)
            status, payload = operation(Call(request, body))
        except ApiError as error:
            return JSONResponse(error.body(), status_code=error.status)
        if payload is None:
            return Response(status_code=status)
        return JSONResponse(payload, status_code=status)

    return Route(template, handle, methods=[method])


async def _body(request: Request, template: str, method: str) -> Any:
    if method not in ("POST", "PUT"):
        return None
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        raise invalid_input("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid_input("Request body must be a JSON object")
    document: OpenApiDocument | None = request.app.state.openapi
    errors = document.request_errors(method, template, body) if document else []
    if errors:
        raise invalid_input(*errors)
    return body


def _abilities(call: Call) -> Any:
    return 200, {"abilities": list(call.sim.config.abilities)}


def _ability(call: Call) -> Any:
    if call.path["id"] in call.sim.config.abilities:
        return 204, None
    raise ApiError(402, 2012, "Account does not have the ability", [])


def _users_me(call: Call) -> Any:
    # Simulated keys are account-level keys; PagerDuty answers those with a plain-string error.
    message = (
        "Because this request was made using an account-level access token, we were unable to "
        "determine the user's identity. Please use a user-level token."
    )
    return 400, {"error": message}


ROUTES: list[Route] = [
    endpoint("/users", "GET", lambda c: users.list_users(c.account, c.params)),
    endpoint(
        "/users", "POST", lambda c: users.create_user(c.sim, c.account, c.body, c.request.headers.get("from"))
    ),
    endpoint("/users/me", "GET", _users_me),
    endpoint("/users/{id}", "GET", lambda c: users.get_user(c.account, c.path["id"])),
    endpoint("/users/{id}", "PUT", lambda c: users.update_user(c.sim, c.account, c.path["id"], c.body)),
    endpoint("/users/{id}", "DELETE", lambda c: users.delete_user(c.account, c.path["id"])),
    endpoint("/schedules", "GET", lambda c: schedules.list_schedules(c.sim, c.account, c.params, c.includes)),
    endpoint("/schedules", "POST", lambda c: schedules.create_schedule(c.sim, c.account, c.body, c.params)),
    endpoint(
        "/schedules/preview", "POST", lambda c: schedules.preview_schedule(c.sim, c.account, c.body, c.params)
    ),
    endpoint(
        "/schedules/{id}", "GET", lambda c: schedules.get_schedule(c.sim, c.account, c.path["id"], c.params)
    ),
    endpoint(
        "/schedules/{id}",
        "PUT",
        lambda c: schedules.update_schedule(c.sim, c.account, c.path["id"], c.body, c.params),
    ),
    endpoint(
        "/schedules/{id}", "DELETE", lambda c: schedules.delete_schedule(c.sim, c.account, c.path["id"])
    ),
    endpoint(
        "/schedules/{id}/users",
        "GET",
        lambda c: schedules.schedule_users(c.sim, c.account, c.path["id"], c.params),
    ),
    endpoint(
        "/schedules/{id}/overrides",
        "GET",
        lambda c: overrides.list_overrides(c.sim, c.account, c.path["id"], c.params),
    ),
    endpoint(
        "/schedules/{id}/overrides",
        "POST",
        lambda c: overrides.create_overrides(c.sim, c.account, c.path["id"], c.body),
    ),
    endpoint(
        "/schedules/{id}/overrides/{override_id}",
        "DELETE",
        lambda c: overrides.delete_override(c.sim, c.account, c.path["id"], c.path["override_id"]),
    ),
    endpoint("/abilities", "GET", _abilities),
    endpoint("/abilities/{id}", "GET", _ability),
]


async def not_found_handler(request: Request, exc: Exception) -> Response:
    return JSONResponse(not_found().body(), status_code=404)
