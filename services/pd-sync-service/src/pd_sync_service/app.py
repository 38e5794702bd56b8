"""The runnable application: consumers, the reconciler loop, the periodic reconcile, probes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from faststream.asgi import AsgiFastStream

from oncall_platform import runtime
from oncall_platform.kafka import ensure_topics
from oncall_platform.probes import asgi_probe_routes
from oncall_platform.telemetry import setup_telemetry
from pd_sync_service.bootstrap import Service, bootstrap
from pd_sync_service.migrate import upgrade_database
from pd_sync_service.settings import PdSyncSettings

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def running(service: Service) -> AsyncIterator[None]:
    """Run the reconciler, the outbox relay and the periodic reconcile for the duration of the block."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(service.reconciler.run(stop)),
        asyncio.create_task(service.relay.run(stop)),
        asyncio.create_task(_periodic(service, stop)),
    ]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await service.pagerduty_clients.aclose()
        await service.engine.dispose()


async def _periodic(service: Service, stop: asyncio.Event) -> None:
    """At start, read PagerDuty before re-writing any schedule whose write a crash may have cut short;
    then every RECONCILE_INTERVAL_SECONDS compare the DRIFT_CHECKS_PER_INTERVAL schedules checked
    longest ago, which repairs hand edits and re-creates schedules deleted by hand."""
    try:
        await service.reconciler.recover_interrupted_writes()
    except Exception:
        logger.exception("marking interrupted writes for a read failed")
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), service.settings.reconcile_interval_seconds)
        if stop.is_set():
            return
        try:
            await service.reconciler.request_drift_check(service.settings.drift_checks_per_interval)
        except Exception:
            logger.exception("periodic reconcile failed")


def create_app(settings: PdSyncSettings | None = None) -> AsgiFastStream:
    settings = settings or PdSyncSettings()
    tracer_provider = setup_telemetry(
        "pd-sync-service", otlp_endpoint=settings.otel_exporter_otlp_endpoint, log_level=settings.log_level
    )
    service = bootstrap(settings, tracer_provider=tracer_provider)
    stack = contextlib.AsyncExitStack()
    app = AsgiFastStream(service.broker, asgi_routes=asgi_probe_routes(service.broker, service.engine))

    @app.on_startup
    async def start() -> None:
        await upgrade_database(settings.effective_database_url())
        await ensure_topics(settings.kafka_bootstrap_servers, settings.topics().specs())

    @app.after_startup
    async def start_reconciler() -> None:
        await stack.enter_async_context(running(service))

    @app.on_shutdown
    async def stop() -> None:
        await stack.aclose()

    return app


def main() -> None:
    """Console entry point `pd-sync-service`."""
    import uvicorn

    settings = PdSyncSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop=runtime.UVICORN_LOOP,
        http=runtime.UVICORN_HTTP,
    )
