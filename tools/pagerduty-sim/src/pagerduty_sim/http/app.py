"""Assembling the ASGI application."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from pagerduty_sim.http.control import CONTROL_ROUTES
from pagerduty_sim.http.endpoints import ROUTES, not_found_handler
from pagerduty_sim.http.gateway import ControlState, Gateway
from pagerduty_sim.openapi import OpenApiDocument
from pagerduty_sim.simulator import Simulator


def create_app(simulator: Simulator, openapi: OpenApiDocument | None) -> ASGIApp:
    """The simulator's ASGI app; `openapi=None` serves without validating request bodies."""
    app = Starlette(routes=[*CONTROL_ROUTES, *ROUTES], exception_handlers={404: not_found_handler})
    app.state.simulator = simulator
    app.state.openapi = openapi
    control = ControlState()
    app.state.control = control
    return Gateway(app, simulator, control)
