"""The FastAPI application factory (no globals: everything comes from the container)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from oncall_platform.http_limits import RequestBodyLimit
from oncall_platform.probes import LIVENESS_PATH, READINESS_PATH
from rotation_service.entrypoints.api import health, pagerduty, rotations, shifts
from rotation_service.entrypoints.api.errors import install_error_handlers

if TYPE_CHECKING:
    from rotation_service.bootstrap import Container


def create_app(container: Container) -> FastAPI:
    app = FastAPI(title="rotation-service", version="1", summary="On-call rotations that PagerDuty follows")
    app.state.rotations = container.rotations
    app.state.pagerduty = container.pagerduty
    app.state.clock = container.clock
    app.state.readiness = container.readiness
    app.state.token_verifier = container.token_verifier
    for router in (health.router, rotations.router, shifts.router, pagerduty.router):
        app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(RequestBodyLimit, max_bytes=container.settings.max_request_bytes)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=container.tracer_provider, excluded_urls=f"{LIVENESS_PATH},{READINESS_PATH}"
    )
    return app
