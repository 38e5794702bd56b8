"""The `rotation-service` console command: serve, migrate, relay, token."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

import uvicorn

from oncall_platform import runtime
from oncall_platform.telemetry import setup_telemetry
from rotation_service.adapters.migrations import upgrade
from rotation_service.bootstrap import SERVICE_NAME, Container, bootstrap
from rotation_service.entrypoints.api.auth import mint_token
from rotation_service.entrypoints.background import run_background
from rotation_service.settings import RotationServiceSettings

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rotation-service", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="run the API, the outbox relay, the horizon roll and the consumer"
    )
    serve.add_argument("--no-migrate", action="store_true", help="do not run database migrations first")
    commands.add_parser("migrate", help="upgrade the database schema to the latest revision")
    commands.add_parser("relay", help="run only the outbox relay")
    token = commands.add_parser("token", help="print a local HS256 bearer token for EMAIL")
    token.add_argument("email")
    return parser


async def _serve(container: Container) -> None:
    settings = container.settings
    config = uvicorn.Config(
        container.app(),
        host=settings.rotation_service_host,
        port=settings.rotation_service_port,
        log_config=None,
        lifespan="on",
        http=runtime.UVICORN_HTTP,
    )
    server = uvicorn.Server(config)
    background = asyncio.create_task(run_background(container))
    try:
        await server.serve()
    finally:
        background.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await background
        await container.close()


async def _relay(container: Container) -> None:
    try:
        await container.relay.run()
    finally:
        await container.close()


def _exit_cleanly(signum: int, frame: object) -> None:
    # uvicorn re-raises SIGTERM after its graceful shutdown; Kubernetes stops pods with it: exit 0.
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    arguments = _parser().parse_args(argv)
    settings = RotationServiceSettings()
    if arguments.command == "token":
        print(mint_token(settings.jwt_secret.get_secret_value(), arguments.email.strip().lower()))
        return
    provider = setup_telemetry(
        SERVICE_NAME, otlp_endpoint=settings.otel_exporter_otlp_endpoint, log_level=settings.log_level
    )
    if arguments.command == "migrate" or (
        arguments.command == "serve" and not arguments.no_migrate and settings.run_migrations
    ):
        upgrade(settings.effective_database_url())
        logger.info("database schema is up to date")
    if arguments.command == "migrate":
        return
    container = bootstrap(settings, tracer_provider=provider)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with contextlib.suppress(KeyboardInterrupt):
        runtime.run(_serve(container) if arguments.command == "serve" else _relay(container))
