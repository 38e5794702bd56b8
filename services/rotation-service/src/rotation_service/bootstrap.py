"""The composition root: the only place that builds engines, brokers, services and the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from oncall_pagerduty import PagerDutyClient, Region, RetryPolicy
from oncall_platform.clock import Clock, system_clock
from oncall_platform.database import make_async_engine
from oncall_platform.kafka import make_broker
from oncall_platform.outbox import Outbox
from oncall_platform.probes import ReadinessProbe
from oncall_platform.relay import OutboxRelay
from rotation_service.adapters.pagerduty_keys import PagerDutyKeyChecker
from rotation_service.adapters.unit_of_work import SqlUnitOfWork
from rotation_service.entrypoints.api.app import ApiServices, create_app
from rotation_service.entrypoints.api.auth import JwksVerifier, SharedSecretVerifier, TokenVerifier
from rotation_service.entrypoints.consumer import subscribe_sync_results
from rotation_service.service_layer.pagerduty import PagerDutyService
from rotation_service.service_layer.rotations import RotationService
from rotation_service.service_layer.shift_requests import ShiftRequestService
from rotation_service.service_layer.sync_status import SyncStatusRecorder
from rotation_service.settings import RotationServiceSettings

SERVICE_NAME = "rotation-service"


@dataclass
class Container:
    settings: RotationServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    rotations: RotationService
    pagerduty: PagerDutyService
    shift_requests: ShiftRequestService
    relay: OutboxRelay
    sync_results: SyncStatusRecorder
    clock: Clock
    token_verifier: TokenVerifier
    tracer_provider: TracerProvider | None
    readiness: ReadinessProbe  # `/readyz`: the relay's broker and the database answer
    brokers: list[KafkaBroker] = field(default_factory=list)

    def app(self) -> FastAPI:
        return create_app(
            ApiServices(
                rotations=self.rotations,
                pagerduty=self.pagerduty,
                shift_requests=self.shift_requests,
                clock=self.clock,
                readiness=self.readiness,
                token_verifier=self.token_verifier,
                max_request_bytes=self.settings.max_request_bytes,
                tracer_provider=self.tracer_provider,
            )
        )

    def consumer_broker(self) -> KafkaBroker:
        """A broker subscribed to sync results (started by `serve`)."""
        broker = self._broker("rotation-service-consumer")
        subscribe_sync_results(
            broker,
            self.settings.topics(),
            self.sync_results,
            options=self.settings.consumer_options(),
            tracer_provider=self.tracer_provider,
        )
        return broker

    def _broker(self, client_id: str) -> KafkaBroker:
        broker = make_broker(
            self.settings.kafka_bootstrap_servers,
            client_id=client_id,
            graceful_timeout=self.settings.shutdown_grace_seconds,
        )
        self.brokers.append(broker)
        return broker

    async def close(self) -> None:
        for broker in self.brokers:
            await broker.stop()
        await self.engine.dispose()


def token_verifier(settings: RotationServiceSettings) -> TokenVerifier:
    if settings.jwt_jwks_url:
        return JwksVerifier(settings.jwt_jwks_url, settings.jwt_audience, settings.jwt_issuer)
    return SharedSecretVerifier(
        settings.jwt_secret.get_secret_value(), settings.jwt_audience, settings.jwt_issuer
    )


def key_checker(
    settings: RotationServiceSettings, tracer_provider: TracerProvider | None
) -> PagerDutyKeyChecker:
    def client_for(api_key: str, region: Region) -> PagerDutyClient:
        return PagerDutyClient(
            api_key,
            region=region,
            base_url=settings.pagerduty_base_url_for(region),
            retry=RetryPolicy(max_attempts=2, max_elapsed=10.0),
            timeout=settings.pagerduty_timeout_seconds,
            account=f"{region}:key-check",
            tracer_provider=tracer_provider,
        )

    return PagerDutyKeyChecker(client_for)


def bootstrap(
    settings: RotationServiceSettings,
    *,
    clock: Clock = system_clock,
    tracer_provider: TracerProvider | None = None,
) -> Container:
    engine = make_async_engine(settings.effective_database_url())
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    producer = make_broker(
        settings.kafka_bootstrap_servers,
        client_id="rotation-service-relay",
        graceful_timeout=settings.shutdown_grace_seconds,
        request_timeout_ms=10_000,
    )
    relay = OutboxRelay(
        engine,
        producer,
        retention=settings.outbox_retention(),
        tracer_provider=tracer_provider,
        poll_interval=settings.outbox_poll_interval_seconds,
        batch_size=settings.outbox_batch_size,
    )
    outbox = Outbox(settings.topics())

    def unit_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, outbox, after_commit=relay.wake)

    container = Container(
        settings=settings,
        engine=engine,
        sessions=sessions,
        rotations=RotationService(unit_of_work, clock),
        pagerduty=PagerDutyService(
            unit_of_work, clock, settings.credential_sealer(), key_checker(settings, tracer_provider)
        ),
        shift_requests=ShiftRequestService(unit_of_work, clock),
        relay=relay,
        sync_results=SyncStatusRecorder(unit_of_work, clock),
        clock=clock,
        token_verifier=token_verifier(settings),
        tracer_provider=tracer_provider,
        readiness=ReadinessProbe(producer, engine),
    )
    container.brokers.append(producer)
    return container
