"""The service process: `user-provisioner` (serve) and `user-provisioner migrate`."""

from __future__ import annotations

import argparse
import asyncio
import logging

from faststream.asgi import AsgiFastStream

from oncall_platform import runtime
from oncall_platform.kafka import ensure_topics
from oncall_platform.probes import asgi_probe_routes
from oncall_platform.telemetry import setup_telemetry
from user_provisioner.bootstrap import Provisioner, bootstrap
from user_provisioner.migrate import upgrade
from user_provisioner.settings import ProvisionerSettings

SERVICE_NAME = "user-provisioner"


def build_app(settings: ProvisionerSettings, provisioner: Provisioner) -> AsgiFastStream:
    """The ASGI app: the broker, the worker, `/healthz` and `/readyz` (broker and database)."""

    async def start_worker() -> None:
        provisioner.start_worker()

    async def stop_rest() -> None:
        await provisioner.stop()

    return AsgiFastStream(
        provisioner.broker,
        asgi_routes=asgi_probe_routes(provisioner.broker, provisioner.engine),
        after_startup=[start_worker],
        after_shutdown=[stop_rest],
    )


async def serve(settings: ProvisionerSettings) -> None:
    tracer_provider = setup_telemetry(
        SERVICE_NAME, otlp_endpoint=settings.otel_exporter_otlp_endpoint, log_level=settings.log_level
    )
    await ensure_topics(settings.kafka_bootstrap_servers, settings.topics().specs())
    await asyncio.to_thread(upgrade, settings.database_url)
    app = build_app(settings, bootstrap(settings, tracer_provider=tracer_provider))
    await app.run(
        log_level=logging.getLevelName(settings.log_level.upper()),
        run_extra_options={"host": settings.user_provisioner_host, "port": settings.user_provisioner_port},
    )


def main(argv: list[str] | None = None) -> None:
    """Console entry point. `migrate` only upgrades the schema; no argument runs the service."""
    parser = argparse.ArgumentParser(
        prog=SERVICE_NAME, description="Creates rotation members as PagerDuty users."
    )
    parser.add_argument("command", nargs="?", choices=["serve", "migrate"], default="serve")
    arguments = parser.parse_args(argv)
    settings = ProvisionerSettings()
    if arguments.command == "migrate":
        upgrade(settings.database_url)
        return
    runtime.run(serve(settings))
