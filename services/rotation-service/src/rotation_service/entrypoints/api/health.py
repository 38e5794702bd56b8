"""Kubernetes probes, the same as every service's (oncall_platform.probes): liveness needs nothing;
readiness needs the Kafka broker the outbox relay publishes with and the database."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from oncall_platform.probes import LIVENESS_PATH, READINESS_PATH, ReadinessProbe, liveness_body

router = APIRouter(tags=["health"])


@router.get(LIVENESS_PATH)
async def healthz() -> dict[str, str]:
    return liveness_body()


@router.get(READINESS_PATH, responses={503: {"description": "not ready: the body names what did not answer"}})
async def readyz(request: Request) -> JSONResponse:
    probe: ReadinessProbe = request.app.state.readiness
    readiness = await probe.check()
    return JSONResponse(readiness.body(), status_code=readiness.status_code)
