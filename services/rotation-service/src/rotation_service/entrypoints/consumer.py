"""The Kafka subscriber of sync results (pagerduty topic), through `oncall_platform.consumer`."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from opentelemetry.trace import TracerProvider

from oncall_contracts.topics import Topics
from oncall_platform.consumer import ConsumerOptions, EventConsumer, committing, subscribe
from rotation_service.service_layer.sync_status import HANDLED_EVENTS, SyncStatusRecorder

CONSUMER_GROUP = "rotation-service"


def subscribe_sync_results(
    broker: KafkaBroker,
    topics: Topics,
    recorder: SyncStatusRecorder,
    *,
    options: ConsumerOptions,
    tracer_provider: TracerProvider | None = None,
) -> None:
    consumer = EventConsumer(
        group=CONSUMER_GROUP,
        handles=HANDLED_EVENTS,
        unit_of_work=committing(recorder.unit_of_work),
        handle=recorder.apply,
    )
    subscribe(
        broker, topics, consumer, sources=[topics.pagerduty], options=options, tracer_provider=tracer_provider
    )
