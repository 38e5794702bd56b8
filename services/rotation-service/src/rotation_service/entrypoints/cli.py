"""The `rotation-service` console command: serve, migrate (the platform's lifecycle), relay, token,
reseal-credentials."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from opentelemetry.sdk.trace import TracerProvider

from oncall_platform import lifecycle
from rotation_service.adapters.migrations import SCHEMA
from rotation_service.bootstrap import SERVICE_NAME, bootstrap
from rotation_service.entrypoints.api.auth import mint_token
from rotation_service.entrypoints.background import background
from rotation_service.service_layer.pagerduty import ResealReport
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


def _reseal_credentials(settings: RotationServiceSettings, arguments: argparse.Namespace) -> None:
    """Exits 1 when a stored key cannot be opened with any configured credential key."""

    async def reseal() -> ResealReport:
        container = bootstrap(settings)
        try:
            return await container.pagerduty.reseal_credentials()
        finally:
            await container.engine.dispose()

    report = asyncio.run(reseal())
    print(
        f"re-sealed {len(report.resealed)} PagerDuty API key(s) with credential key "
        f"{settings.credential_sealer().active_key_id!r}; the serving relay announces them"
    )
    if report.unopenable:
        print(f"cannot open the keys of rotations {', '.join(report.unopenable)}: configure them again")
        raise SystemExit(1)


SERVICE = lifecycle.ServiceDefinition(
    name=SERVICE_NAME,
    description="On-call rotations that PagerDuty follows: the REST API and its outbox.",
    settings=RotationServiceSettings,
    migrations=lifecycle.Migrations(SCHEMA, RotationServiceSettings.effective_database_url),
    build=serve_parts,
    address=lambda settings: (settings.rotation_service_host, settings.rotation_service_port),
    commands={
        "relay": lifecycle.Command(help="run only the outbox relay", serves=relay_parts),
        "reseal-credentials": lifecycle.Command(
            help="re-seal every stored PagerDuty API key with the newest CREDENTIAL_KEYS key",
            run=_reseal_credentials,
        ),
        "token": lifecycle.Command(
            help="print a local HS256 bearer token for EMAIL",
            run=_token,
            arguments=lambda parser: parser.add_argument("email"),
        ),
    },
)


def main(argv: Sequence[str] | None = None) -> None:
    lifecycle.main(SERVICE, argv)
