"""Assembling the ASGI application."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from pagerduty_sim.http.control import CONTROL_ROUTES
from pagerduty_sim.http.endpoints import ROUTES, not_found_handler
from pagerduty_sim.http.gateway import ControlState, Gateway
from pagerduty_sim.openapi import OpenApiDocument
from pagerduty_sim.persistence import StateSaver
from pagerduty_sim.simulator import Simulator


def create_app(
    simulator: Simulator, openapi: OpenApiDocument | None, saver: StateSaver | None = None
) -> ASGIApp:
    """The simulator's ASGI app; `openapi=None` serves without validating request bodies. With a
    `saver` the state is saved while the app runs and at its shutdown (needs the ASGI lifespan)."""
    app = Starlette(
        routes=[*CONTROL_ROUTES, *ROUTES],
        exception_handlers={404: not_found_handler},
        lifespan=(lambda _: saver.running()) if saver else None,
    )
    app.state.simulator = simulator
    app.state.openapi = openapi
    control = ControlState()
    app.state.control = control
    return Gateway(app, simulator, control)
