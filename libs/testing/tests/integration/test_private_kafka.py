import asyncio

import pytest

from oncall_testing.kafka import PrivateKafka, broker_answers

pytestmark = pytest.mark.integration


async def test_a_private_broker_stops_and_starts_without_touching_the_shared_one(
    private_kafka: PrivateKafka, kafka_bootstrap_servers: str
) -> None:
    assert private_kafka.bootstrap_servers != kafka_bootstrap_servers
    assert await broker_answers(private_kafka.bootstrap_servers)
    await asyncio.to_thread(private_kafka.stop)
    assert not await broker_answers(private_kafka.bootstrap_servers, timeout_s=3)
    assert await broker_answers(kafka_bootstrap_servers)
    await asyncio.to_thread(private_kafka.start)
    assert await broker_answers(private_kafka.bootstrap_servers)
