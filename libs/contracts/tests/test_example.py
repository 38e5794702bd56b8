import asyncio
import importlib.util
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from oncall_contracts import ShiftChanged, Topics, decode

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "publish_shift_changed.py"
START = datetime(2025, 3, 3, 8, tzinfo=UTC)


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("publish_shift_changed", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_builds_a_shift_changed_for_the_rotation_topic() -> None:
    rotation_id = str(uuid.uuid4())

    topic, message = _example().build_message(Topics(prefix="x."), rotation_id, START)

    assert topic == "x.oncall.rotation.v1"
    assert message.key == rotation_id.encode()
    shift = decode(message.value, message.headers).payload
    assert isinstance(shift, ShiftChanged)
    assert (shift.rotation_id, shift.start, shift.primary) == (rotation_id, START, "ada@example.com")


@pytest.mark.integration
async def test_the_example_publishes_to_the_real_broker(kafka_bootstrap_servers: str, topics: Topics) -> None:
    example = _example()
    rotation_id = str(uuid.uuid4())
    topic, message = example.build_message(topics, rotation_id, START)

    await example.publish(kafka_bootstrap_servers, topic, message)

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        record = await _first_record(consumer)
    finally:
        await consumer.stop()
    envelope = decode(record.value, dict(record.headers))
    assert record.key == rotation_id.encode()
    assert str(envelope.event_id) == message.headers["event-id"]
    assert envelope.subject == rotation_id


async def _first_record(consumer: AIOKafkaConsumer) -> Any:
    return await asyncio.wait_for(consumer.getone(), timeout=30)
