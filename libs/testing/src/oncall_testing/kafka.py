"""Kafka helpers for tests: reachability, per-test topics, and a private broker a test may stop."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.client import AIOKafkaClient
from faststream.kafka import KafkaBroker
from opentelemetry import propagate

from oncall_contracts import Envelope, Topics, registry


async def broker_answers(bootstrap_servers: str, timeout_s: float = 10.0) -> bool:
    """True when a metadata request to the broker succeeds within `timeout_s`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=int(timeout_s * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.list_topics(), timeout_s)
        return True
    except Exception:
        return False
    finally:
        await admin.close()


async def delete_topics(bootstrap_servers: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [name for name in names if name in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateKafka:
    """A broker of one test's own, started by the project's script, that the test may stop and start.

    Never the shared broker: tests of outages use this so other tests keep their broker.
    """

    script: Path
    state_dir: Path
    port: int
    controller_port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, action: str) -> None:
        env = {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_STATE_DIR": str(self.state_dir),
        }
        subprocess.run([str(self.script), action], env=env, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")


async def publish_event(broker: KafkaBroker, topics: Topics, envelope: Envelope[Any]) -> None:
    """Publish `envelope` as a producing service would: encoded with the contracts registry, to its
    payload's topic, keyed by its subject, with the current trace context in its headers (services
    publish through the outbox, never like this)."""
    encoded = registry.encode(envelope)
    headers = dict(encoded.headers)
    propagate.inject(headers)
    await broker.publish(encoded.value, topic=topics.topic_for(envelope), key=encoded.key, headers=headers)


async def read_records(
    bootstrap_servers: str, topic: str, *, at_least: int, within: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` from its beginning, once at least `at_least` have arrived.

    Raises AssertionError naming the topic and the counts if fewer arrived within `within` seconds."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + within
        while len(records) < at_least and asyncio.get_running_loop().time() < deadline:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    assert len(records) >= at_least, f"{topic}: {len(records)} of {at_least} records within {within} s"
    return records


async def read_to_end(
    bootstrap_servers: str, topic: str, *, within: float = 10.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record `topic` holds now: each partition from its beginning to the end offset it had when
    asked (records arriving later are left out; a topic that does not exist holds none).

    Raises AssertionError naming the topic if reading that far takes longer than `within` seconds."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers)
    await client.bootstrap()
    try:
        metadata = await client.fetch_all_metadata()
    finally:
        await client.close()
    partitions = [TopicPartition(topic, p) for p in sorted(metadata.partitions_for_topic(topic) or ())]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = asyncio.get_running_loop().time() + within
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            assert asyncio.get_running_loop().time() < deadline, f"{topic}: not read to its end in {within} s"
            for tp, batch in (await consumer.getmany(timeout_ms=300)).items():
                records.extend(record for record in batch if record.offset < ends[tp])
        return records
    finally:
        await consumer.stop()


async def read_exactly(
    bootstrap_servers: str, topic: str, count: int, *, within: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """The records of `topic` once `count` have arrived (within `within` seconds), asserting that the
    topic then holds exactly `count`: none more (`count=0`: the topic holds none now)."""
    if count:
        await read_records(bootstrap_servers, topic, at_least=count, within=within)
    records = await read_to_end(bootstrap_servers, topic)
    assert len(records) == count, f"{topic}: {len(records)} records, {count} expected"
    return records
