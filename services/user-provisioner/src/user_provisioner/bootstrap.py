"""The composition root: the one place that builds the broker, database, clients and worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_pagerduty import BudgetRegistry, PagerDutyClient, RetryPolicy
from oncall_platform import lifecycle
from oncall_platform.clock import system_clock
from oncall_platform.database import make_async_engine
from oncall_platform.kafka import make_broker
from oncall_platform.outbox import Outbox
from oncall_platform.relay import OutboxRelay
from user_provisioner.adapters.pagerduty_users import PagerDutyDirectories
from user_provisioner.adapters.store import ProvisionerStore
from user_provisioner.domain.model import Account
from user_provisioner.entrypoints.consumer import CONSUMER_GROUP, register_rotation_consumer
from user_provisioner.service_layer.worker import ProvisioningWorker, WorkerOptions
from user_provisioner.settings import ProvisionerSettings


@dataclass
class Provisioner:
    """The running parts of one replica; `parts()` is what the lifecycle starts and stops."""

    broker: KafkaBroker
    engine: AsyncEngine
    store: ProvisionerStore
    worker: ProvisioningWorker
    relay: OutboxRelay
    directories: PagerDutyDirectories

    def parts(self) -> lifecycle.Parts:
        """The broker (the rotation-event consumer) and the provisioning worker; the relay stops after
        the worker, so the outcomes of the writes in flight are published before the process exits."""
        return lifecycle.Parts(
            engine=self.engine,
            brokers=[self.broker],
            relays=[self.relay],
            background={"provisioning worker": self.worker.run},
            close=[self.directories.aclose],
        )


def bootstrap(
    settings: ProvisionerSettings,
    *,
    tracer_provider: TracerProvider | None = None,
    pagerduty_transport: httpx.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    worker_options: WorkerOptions | None = None,
    group_id: str = CONSUMER_GROUP,
    clock: Callable[[], datetime] = system_clock,
) -> Provisioner:
    """Wire one replica from `settings`; the keyword arguments are seams for tests."""
    topics = settings.topics()
    broker = make_broker(
        settings.kafka_bootstrap_servers,
        client_id="user-provisioner",
        graceful_timeout=settings.shutdown_grace_seconds,
    )
    engine = make_async_engine(settings.database_url)
    relay = OutboxRelay(  # a producer of its own: the relay restarts it after Kafka refuses a record
        engine,
        make_broker(
            settings.kafka_bootstrap_servers,
            client_id="user-provisioner-relay",
            request_timeout_ms=10_000,
        ),
        tracer_provider=tracer_provider,
        retention=settings.outbox_retention(),
    )
    store = ProvisionerStore(engine, Outbox(topics), wake_relay=relay.wake)
    budgets = BudgetRegistry(settings.pagerduty_rate_limit_per_minute, share=settings.pagerduty_budget_share)

    def client_for(api_key: str, account: Account) -> PagerDutyClient:
        return PagerDutyClient(
            api_key,
            region="eu" if account.region == "eu" else "us",
            base_url=settings.pagerduty_base_url_for(account.region),
            from_email=settings.pagerduty_from_email,
            budget=budgets.for_key(api_key),
            retry=retry or RetryPolicy(max_attempts=4, max_elapsed=30.0),
            timeout=settings.pagerduty_timeout_seconds,
            transport=pagerduty_transport,
            account=account.key,
            tracer_provider=tracer_provider,
        )

    directories = PagerDutyDirectories(
        settings.credential_sealer(), client_for, role=settings.pagerduty_default_role
    )
    options = worker_options or WorkerOptions(
        concurrency=settings.provisioner_concurrency_per_account,
        poll_interval=settings.provisioner_poll_seconds,
    )
    worker = ProvisioningWorker(store, directories, options, clock=clock)
    register_rotation_consumer(
        broker,
        topics,
        store.unit_of_work,
        worker.wake,
        clock,
        options=settings.consumer_options(),
        group_id=group_id,
        tracer_provider=tracer_provider,
    )
    return Provisioner(
        broker=broker, engine=engine, store=store, worker=worker, relay=relay, directories=directories
    )
