"""The FastAPI application of the web UI (no globals: everything comes from the container)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from starlette.exceptions import HTTPException

from oncall_contracts import limits
from oncall_platform.http_limits import RequestBodyLimit
from oncall_platform.http_telemetry import NO_NATIVE_TELEMETRY
from oncall_platform.metrics import HttpMetrics
from oncall_platform.probes import LIVENESS_PATH, READINESS_PATH, UNTRACED_URLS
from oncall_web import presenters
from oncall_web.api import ApiError, SignInRequired
from oncall_web.oidc import OidcClient
from oncall_web.security import SECURITY_HEADERS
from oncall_web.session import COOKIE_NAME, SessionCodec
from oncall_web.settings import WebSettings
from oncall_web.views import auth, rotations, settings, shift_requests
from oncall_web.views.common import NotSignedIn, redirect, render, session_of

PACKAGE = Path(__file__).resolve().parent


class AppParts(Protocol):
    """What the app is built from (the composition root's container; the app knows nothing of bootstrap)."""

    @property
    def settings(self) -> WebSettings: ...
    @property
    def http(self) -> httpx.AsyncClient: ...
    @property
    def oidc(self) -> OidcClient | None: ...
    @property
    def tracer_provider(self) -> TracerProvider | None: ...


def create_app(container: AppParts) -> FastAPI:
    app = FastAPI(
        title="oncall-web", docs_url=None, redoc_url=None, openapi_url=None, telemetry=NO_NATIVE_TELEMETRY
    )
    app.state.settings = container.settings
    app.state.http = container.http
    app.state.oidc = container.oidc
    app.state.templates = _templates()
    codec = SessionCodec(
        container.settings.session_secret.get_secret_value(), container.settings.session_hours * 3600
    )
    secure = container.settings.secure_cookies

    @app.middleware("http")
    async def sessions_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.session = codec.loads(request.cookies.get(COOKIE_NAME))
        response = await call_next(request)
        session = request.state.session
        if session.modified:
            response.set_cookie(
                COOKIE_NAME,
                codec.dumps(session),
                max_age=codec.max_age_seconds,
                httponly=True,
                samesite="lax",
                secure=secure,
                path="/",
            )
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    for router in (auth.router, rotations.router, shift_requests.router, settings.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")
    _probes(app, container.http)
    _error_pages(app)
    app.add_middleware(RequestBodyLimit, max_bytes=container.settings.max_request_bytes)
    app.add_middleware(HttpMetrics)  # outermost: times every request, serves /metrics
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=container.tracer_provider,
        excluded_urls=UNTRACED_URLS,
    )
    return app


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=PACKAGE / "templates")
    templates.env.filters["hours"] = lambda value: f"{value:.0f}"
    templates.env.filters["instant"] = presenters.instant
    templates.env.globals["limits"] = limits  # maxlength of the form fields: the API's limits
    return templates


def _probes(app: FastAPI, http: httpx.AsyncClient) -> None:
    @app.get(LIVENESS_PATH, include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(READINESS_PATH, include_in_schema=False)
    async def readyz() -> JSONResponse:
        """Ready when the rotation service's API answers: without it no page can be shown."""
        try:
            answered = (await http.get(LIVENESS_PATH, timeout=2.0)).is_success
        except httpx.HTTPError:
            answered = False
        checks = {"rotation-api": "ok" if answered else "unreachable"}
        return JSONResponse(
            {"status": "ok" if answered else "unavailable", "checks": checks}, 200 if answered else 503
        )


def _error_pages(app: FastAPI) -> None:
    async def not_signed_in(request: Request, error: Exception) -> Response:
        assert isinstance(error, NotSignedIn)
        return redirect(f"/signin?next={error.next_path}")

    async def sign_in_again(request: Request, error: Exception) -> Response:
        session_of(request).sign_out()
        return redirect(f"/signin?next={request.url.path}")

    async def api_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiError)
        titles = {403: "Not allowed", 404: "Not found"}
        title = titles.get(error.status_code, "Something went wrong")
        return render(request, "error.html", error.status_code, title=title, message=error.message)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if request.url.path in {LIVENESS_PATH, READINESS_PATH}:
            return JSONResponse({"detail": error.detail}, error.status_code)
        return render(
            request, "error.html", error.status_code, title="Cannot show this page", message=str(error.detail)
        )

    async def api_unreachable(request: Request, error: Exception) -> Response:
        message = "the rotation service does not answer right now; nothing was changed. Try again shortly."
        return render(request, "error.html", 503, title="Rotation service unavailable", message=message)

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(SignInRequired, sign_in_again)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(httpx.TransportError, api_unreachable)
