"""The FastAPI application factory (no globals: everything comes from the container)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import TracerProvider

from oncall_platform.clock import Clock
from oncall_platform.http_limits import RequestBodyLimit
from oncall_platform.http_telemetry import NO_NATIVE_TELEMETRY
from oncall_platform.metrics import HttpMetrics
from oncall_platform.probes import UNTRACED_URLS, ReadinessProbe
from rotation_service.entrypoints.api import health, pagerduty, rotations, shift_requests, shifts
from rotation_service.entrypoints.api.auth import TokenVerifier
from rotation_service.entrypoints.api.errors import install_error_handlers
from rotation_service.service_layer.pagerduty import PagerDutyService
from rotation_service.service_layer.rotations import RotationService
from rotation_service.service_layer.shift_requests import ShiftRequestService


@dataclass(frozen=True)
class ApiServices:
    """What the routes use (the composition root builds it; the API knows nothing of bootstrap)."""

    rotations: RotationService
    pagerduty: PagerDutyService
    shift_requests: ShiftRequestService
    clock: Clock
    readiness: ReadinessProbe
    token_verifier: TokenVerifier
    max_request_bytes: int
    tracer_provider: TracerProvider | None = None


def create_app(services: ApiServices) -> FastAPI:
    app = FastAPI(
        title="rotation-service",
        version="1",
        summary="On-call rotations that PagerDuty follows",
        telemetry=NO_NATIVE_TELEMETRY,
    )
    app.state.rotations = services.rotations
    app.state.pagerduty = services.pagerduty
    app.state.shift_requests = services.shift_requests
    app.state.clock = services.clock
    app.state.readiness = services.readiness
    app.state.token_verifier = services.token_verifier
    for router in (
        health.router,
        rotations.router,
        shifts.router,
        shift_requests.router,
        shift_requests.mine_router,
        pagerduty.router,
    ):
        app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(RequestBodyLimit, max_bytes=services.max_request_bytes)
    app.add_middleware(HttpMetrics)  # outermost: times every request, serves /metrics
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=services.tracer_provider,
        excluded_urls=UNTRACED_URLS,
        # No internal "http send"/"http receive" child spans per ASGI message: the request's span
        # keeps its status and attributes; three fewer spans per request.
        exclude_spans=["receive", "send"],
    )
    return app
