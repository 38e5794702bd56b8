"""The console command `pd-sync-service serve | migrate`: consumers, the reconciler loop, the outbox
relay, the periodic reconcile, the user check, the shift retention and the probes, on the platform's
one service lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence

from opentelemetry.sdk.trace import TracerProvider

from oncall_platform import lifecycle
from oncall_platform.probes import probe_app
from pd_sync_service.bootstrap import Service, bootstrap
from pd_sync_service.migrate import SCHEMA
from pd_sync_service.settings import PdSyncSettings

logger = logging.getLogger(__name__)
SERVICE_NAME = "pd-sync-service"


def background(service: Service) -> dict[str, lifecycle.Background]:
    """The long-running tasks besides the outbox relay; each stops when its event is set, after the
    write in hand."""
    return {
        "reconciler": service.reconciler.run,
        "periodic reconcile": lambda stop: _periodic(service, stop),
        "user check": lambda stop: _check_users(service, stop),
        # Every SHIFT_PRUNE_INTERVAL_SECONDS, shifts ended SHIFT_RETENTION_DAYS ago are deleted.
        "shift retention": service.shift_pruner.run,
    }


def service_parts(service: Service) -> lifecycle.Parts:
    """What `serve` runs, but HTTP: tests run it with `lifecycle.running`."""
    return lifecycle.Parts(
        engine=service.engine,
        brokers=[service.broker],
        relays=[service.relay],
        background=background(service),
        close=[service.pagerduty_clients.aclose],
    )


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


async def _check_users(service: Service, stop: asyncio.Event) -> None:
    """Every USER_CHECK_INTERVAL_SECONDS, find the users PagerDuty no longer has and ask for them again."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), service.settings.user_check_interval_seconds)
        if stop.is_set():
            return
        try:
            await service.user_check.run_once()
        except Exception:
            logger.exception("checking PagerDuty users failed")


def parts(settings: PdSyncSettings, tracer_provider: TracerProvider) -> lifecycle.Parts:
    service = bootstrap(settings, tracer_provider=tracer_provider)
    return dataclasses.replace(service_parts(service), http=probe_app(service.broker, service.engine))


SERVICE = lifecycle.ServiceDefinition(
    name=SERVICE_NAME,
    description="Folds rotation events into PagerDuty schedules and layers.",
    settings=PdSyncSettings,
    migrations=lifecycle.Migrations(SCHEMA, PdSyncSettings.effective_database_url),
    build=parts,
    address=lambda settings: (settings.host, settings.port),
)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point `pd-sync-service`."""
    lifecycle.main(SERVICE, argv)
