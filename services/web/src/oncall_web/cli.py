"""The `oncall-web` console command: `oncall-web serve`."""

from __future__ import annotations

import argparse
import signal

import uvicorn

from oncall_platform import runtime
from oncall_platform.telemetry import setup_telemetry
from oncall_web.bootstrap import SERVICE_NAME, Container, bootstrap
from oncall_web.settings import WebSettings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oncall-web", description="The on-call scheduler's web UI.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the UI (on WEB_HOST:WEB_PORT), talking to ROTATION_API_URL")
    return parser


async def _serve(container: Container) -> None:
    settings = container.settings
    config = uvicorn.Config(
        container.app(),
        host=settings.web_host,
        port=settings.web_port,
        log_config=None,
        lifespan="on",
        http=runtime.UVICORN_HTTP,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await container.close()


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)  # uvicorn re-raises SIGTERM after its graceful shutdown


def main(argv: list[str] | None = None) -> None:
    _parser().parse_args(argv)
    settings = WebSettings()
    provider = setup_telemetry(
        SERVICE_NAME, otlp_endpoint=settings.otel_exporter_otlp_endpoint, log_level=settings.log_level
    )
    signal.signal(signal.SIGTERM, _exit_cleanly)
    runtime.run(_serve(bootstrap(settings, tracer_provider=provider)))
