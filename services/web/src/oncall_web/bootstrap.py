"""The composition root: the only place that builds the API client, the OIDC client and the app."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from oncall_web.app import create_app
from oncall_web.oidc import OidcClient
from oncall_web.settings import WebSettings

SERVICE_NAME = "oncall-web"


@dataclass
class Container:
    settings: WebSettings
    http: httpx.AsyncClient  # to the rotation service's API
    oidc: OidcClient | None
    tracer_provider: TracerProvider | None = None

    def app(self) -> FastAPI:
        return create_app(self)

    async def close(self) -> None:
        await self.http.aclose()
        if self.oidc is not None:
            await self.oidc.aclose()


def bootstrap(
    settings: WebSettings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Container:
    http = httpx.AsyncClient(
        base_url=settings.rotation_api_url, timeout=settings.api_timeout_seconds, transport=transport
    )
    oidc = None
    if settings.oidc_issuer and settings.oidc_client_id:
        secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
        oidc = OidcClient(
            httpx.AsyncClient(timeout=settings.api_timeout_seconds),
            settings.oidc_issuer,
            settings.oidc_client_id,
            f"{settings.public_url}/auth/callback",
            client_secret=secret,
            scopes=settings.oidc_scopes,
        )
    return Container(settings=settings, http=http, oidc=oidc, tracer_provider=tracer_provider)
