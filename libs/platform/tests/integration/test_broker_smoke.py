"""The plumbing on the real broker: key, headers, consumer groups and one trace across Kafka."""

import asyncio
import uuid

import pytest
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.sdk.trace import TracerProvider

from oncall_contracts import Envelope, MemberAdded, decode
from oncall_contracts.topics import Topics
from oncall_platform.kafka import make_broker
from oncall_testing.kafka import publish_event

pytestmark = pytest.mark.integration


async def test_event_crosses_the_real_broker_with_key_headers_and_trace(
    kafka_bootstrap_servers: str,
    topics: Topics,
    tracer_provider: TracerProvider,
) -> None:
    rotation_id = str(uuid.uuid4())
    event = Envelope.new(
        MemberAdded(rotation_id=rotation_id, email="Ada@Example.com", name="Ada", time_zone="Europe/London"),
        producer="smoke-test",
    )
    received: asyncio.Queue[tuple[bytes | None, dict[str, str], bytes]] = asyncio.Queue()

    consumer = make_broker(kafka_bootstrap_servers, client_id="smoke-consumer")

    @consumer.subscriber(
        topics.rotation, group_id=f"smoke-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest"
    )
    async def on_event(message: KafkaMessage) -> None:
        await received.put((message.raw_message.key, dict(message.headers), message.body))

    producer = make_broker(kafka_bootstrap_servers, client_id="smoke-producer")
    async with consumer, producer:
        await consumer.start()
        await producer.start()
        with tracer_provider.get_tracer("smoke").start_as_current_span("produce") as producing:
            await publish_event(producer, topics, event)
        key, headers, body = await asyncio.wait_for(received.get(), timeout=30)

    assert key == rotation_id.encode()
    assert headers["event-type"] == "MemberAdded"
    assert headers["traceparent"].split("-")[1] == f"{producing.get_span_context().trace_id:032x}"
    decoded = decode(body, headers)
    assert decoded.event_id == event.event_id
    assert decoded.payload.email == "ada@example.com"


async def test_a_broker_that_does_not_answer_is_an_error_not_a_fallback() -> None:
    broker = make_broker("127.0.0.1:1", client_id="unreachable", request_timeout_ms=2000)
    with pytest.raises(Exception):  # noqa: B017,PT011 - aiokafka raises its own connection error types
        await asyncio.wait_for(broker.start(), timeout=20)
    await broker.stop()
