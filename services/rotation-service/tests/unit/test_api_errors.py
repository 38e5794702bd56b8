"""Database failures as HTTP answers: a connection lost to a database restart is a 503 to retry."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from rotation_service.entrypoints.api.errors import install_error_handlers


def _app_failing_with(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fails")
    async def fails() -> None:
        raise error

    return app


async def _get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/fails")


async def test_a_connection_lost_to_a_database_restart_answers_503_with_retry_after() -> None:
    lost = DBAPIError("SELECT 1", {}, ConnectionError("connection was closed"), connection_invalidated=True)
    response = await _get(_app_failing_with(lost))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "retry" in response.json()["detail"]


async def test_any_other_database_error_stays_a_500_without_details() -> None:
    broken = DBAPIError("SELECT secret", {}, RuntimeError("syntax error"), connection_invalidated=False)
    response = await _get(_app_failing_with(broken))
    assert response.status_code == 500
    assert "secret" not in response.text
