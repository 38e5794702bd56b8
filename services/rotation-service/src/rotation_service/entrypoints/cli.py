"""The `rotation-service` console command: serve, migrate (the platform's lifecycle), relay, token."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from opentelemetry.sdk.trace import TracerProvider

from oncall_platform import lifecycle
from rotation_service.adapters.migrations import SCHEMA
from rotation_service.bootstrap import SERVICE_NAME, bootstrap
from rotation_service.entrypoints.api.auth import mint_token
from rotation_service.entrypoints.background import background
from rotation_service.settings import RotationServiceSettings


def serve_parts(settings: RotationServiceSettings, tracer_provider: TracerProvider) -> lifecycle.Parts:
    """The API, the outbox relay's producer, the sync-result consumer and the horizon roll."""
    container = bootstrap(settings, tracer_provider=tracer_provider)
    return lifecycle.Parts(
        engine=container.engine,
        http=container.app(),
        brokers=[container.consumer_broker()],
        relays=[container.relay],
        background=background(container),
    )


def relay_parts(settings: RotationServiceSettings, tracer_provider: TracerProvider) -> lifecycle.Parts:
    container = bootstrap(settings, tracer_provider=tracer_provider)
    return lifecycle.Parts(engine=container.engine, relays=[container.relay])


def _token(settings: RotationServiceSettings, arguments: argparse.Namespace) -> None:
    secret, email = settings.jwt_secret.get_secret_value(), arguments.email.strip().lower()
    print(mint_token(secret, email, audience=settings.jwt_audience, issuer=settings.jwt_issuer))


SERVICE = lifecycle.ServiceDefinition(
    name=SERVICE_NAME,
    description="On-call rotations that PagerDuty follows: the REST API and its outbox.",
    settings=RotationServiceSettings,
    migrations=lifecycle.Migrations(SCHEMA, RotationServiceSettings.effective_database_url),
    build=serve_parts,
    address=lambda settings: (settings.rotation_service_host, settings.rotation_service_port),
    commands={
        "relay": lifecycle.Command(help="run only the outbox relay", serves=relay_parts),
        "token": lifecycle.Command(
            help="print a local HS256 bearer token for EMAIL",
            run=_token,
            arguments=lambda parser: parser.add_argument("email"),
        ),
    },
)


def main(argv: Sequence[str] | None = None) -> None:
    lifecycle.main(SERVICE, argv)
