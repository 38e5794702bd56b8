"""The `oncall-web` console command: `oncall-web serve`, on the platform's one service lifecycle (no
Kafka and no database: HTTP, then the API and OpenID Connect clients closed after it)."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import TracerProvider

from oncall_platform import lifecycle
from oncall_web.bootstrap import SERVICE_NAME, bootstrap
from oncall_web.settings import WebSettings


def parts(settings: WebSettings, tracer_provider: TracerProvider) -> lifecycle.Parts:
    """The UI's app; its clients close once HTTP has stopped."""
    container = bootstrap(settings, tracer_provider=tracer_provider)
    return lifecycle.Parts(http=container.app(), close=[container.close])


SERVICE = lifecycle.ServiceDefinition(
    name=SERVICE_NAME,
    description="The on-call scheduler's web UI, on the rotation service's API (ROTATION_API_URL).",
    settings=WebSettings,
    build=parts,
    address=lambda settings: (settings.web_host, settings.web_port),
)


def main(argv: Sequence[str] | None = None) -> None:
    lifecycle.main(SERVICE, argv)
