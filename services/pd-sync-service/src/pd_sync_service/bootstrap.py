"""The composition root: settings -> engine, broker, PagerDuty clients, reconciler, consumers, the
shift retention."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from oncall_pagerduty import PagerDutyClient
from oncall_platform.clock import system_clock
from oncall_platform.database import make_async_engine
from oncall_platform.kafka import make_broker
from oncall_platform.outbox import Outbox
from oncall_platform.relay import OutboxRelay
from pd_sync_service.adapters.pagerduty_clients import PagerDutyClients
from pd_sync_service.adapters.shift_retention import ShiftPruner
from pd_sync_service.adapters.unit_of_work import SqlUnitOfWork
from pd_sync_service.entrypoints.consumers import CONSUMER_GROUP, register_consumers
from pd_sync_service.service_layer.missing_users import UserCheck
from pd_sync_service.service_layer.reconciler import PagerDutyFactory, Reconciler, ReconcilerConfig
from pd_sync_service.settings import PdSyncSettings


@dataclass
class Service:
    settings: PdSyncSettings
    engine: AsyncEngine
    broker: KafkaBroker
    reconciler: Reconciler
    user_check: UserCheck
    relay: OutboxRelay
    pagerduty_clients: PagerDutyClients
    shift_pruner: ShiftPruner


def bootstrap(
    settings: PdSyncSettings,
    *,
    pagerduty_clock: Callable[[], datetime] | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Service:
    engine = make_async_engine(settings.effective_database_url())
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    broker = make_broker(
        settings.kafka_bootstrap_servers,
        client_id=CONSUMER_GROUP,
        graceful_timeout=settings.shutdown_grace_seconds,
    )
    topics = settings.topics()
    outbox = Outbox(topics)
    relay = OutboxRelay(  # a producer of its own: the relay restarts it after Kafka refuses a record
        engine,
        make_broker(
            settings.kafka_bootstrap_servers,
            client_id=f"{CONSUMER_GROUP}-relay",
            request_timeout_ms=10_000,
        ),
        tracer_provider=tracer_provider,
        retention=settings.outbox_retention(),
    )

    def new_client(api_key: str, region: str) -> PagerDutyClient:
        return PagerDutyClient(
            api_key,
            region=cast(Any, region),
            base_url=settings.pagerduty_base_url_for(region),
            tracer_provider=tracer_provider,
        )

    def unit_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, outbox, after_commit=relay.wake)

    clients = PagerDutyClients(new_client)
    # The sync's "now" is the PagerDuty clock (the reads ask for shifts ending after it): so is the pruning's.
    shift_pruner = ShiftPruner(engine, settings.shift_retention(), clock=pagerduty_clock or system_clock)
    reconciler = Reconciler(
        unit_of_work,
        cast(PagerDutyFactory, clients),
        settings.credential_sealer(),
        pagerduty_clock or system_clock,
        ReconcilerConfig(debounce=timedelta(milliseconds=settings.debounce_ms)),
        tracer_provider=tracer_provider,
    )
    user_check = UserCheck(
        unit_of_work,
        clients,
        settings.credential_sealer(),
        pagerduty_clock or system_clock,
        on_marked=reconciler.wake,
    )
    register_consumers(
        broker,
        topics,
        unit_of_work,
        options=settings.consumer_options(),
        on_folded=reconciler.wake,
        tracer_provider=tracer_provider,
    )
    return Service(settings, engine, broker, reconciler, user_check, relay, clients, shift_pruner)
