"""An outside producer publishing a ShiftChanged with plain aiokafka.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 uv run python libs/contracts/examples/publish_shift_changed.py

Optional: KAFKA_TOPIC_PREFIX (the topic prefix your deployment uses, usually empty).
The topics must exist (the services declare them on start; a producer never creates them).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from oncall_contracts import EncodedEvent, Envelope, ShiftChanged, Topics, encode


def build_message(topics: Topics, rotation_id: str, start: datetime) -> tuple[str, EncodedEvent]:
    """The topic and the encoded message of a one-week shift for ``ada@example.com``."""
    shift = ShiftChanged(
        rotation_id=rotation_id,
        shift_id=f"{rotation_id}:{start.isoformat()}",
        # Strictly increasing per rotation; a real producer takes it from its own store.
        revision=int(datetime.now(UTC).timestamp() * 1000),
        start=start,
        end=start + timedelta(days=7),
        primary="ada@example.com",
        backup="bob@example.com",
    )
    envelope = Envelope.new(shift, producer="example-producer", correlation_id=uuid.uuid4())
    return topics.topic_for(envelope), encode(envelope)


async def publish(bootstrap_servers: str, topic: str, message: EncodedEvent) -> None:
    """Send one message with the project's producer settings: idempotent, ``acks=all``."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, value=message.value, key=message.key, headers=message.kafka_headers()
        )
    finally:
        await producer.stop()


async def main() -> None:
    topics = Topics(prefix=os.environ.get("KAFKA_TOPIC_PREFIX", ""))
    start = datetime(2025, 3, 3, 8, tzinfo=UTC)
    topic, message = build_message(topics, str(uuid.uuid4()), start)
    await publish(os.environ["KAFKA_BOOTSTRAP_SERVERS"], topic, message)
    print(f"published {message.headers['event-type']} {message.headers['event-id']} to {topic}")


if __name__ == "__main__":
    asyncio.run(main())
