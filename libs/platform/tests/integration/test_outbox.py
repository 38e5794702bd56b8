"""The platform outbox on the real broker and PostgreSQL: parking, order per key, tracing, two relays."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_contracts import (
    Envelope,
    MemberAdded,
    PagerDutyAccount,
    PagerDutyUserProvisioned,
    Topics,
    registry,
)
from oncall_platform.database import make_async_engine
from oncall_platform.kafka import make_broker
from oncall_platform.outbox import OUTBOX, Outbox
from oncall_platform.relay import OutboxRelay
from oncall_testing.eventually import eventually
from oncall_testing.kafka import read_records

pytestmark = pytest.mark.integration

Event = Envelope[Any]


def member_added(rotation_id: str, name: str = "Ada") -> Event:
    payload = MemberAdded(rotation_id=rotation_id, email="ada@example.com", name=name, time_zone="UTC")
    return Envelope.new(payload, producer="outbox-test")


def unchecked_member_added(rotation_id: str, name: str) -> Event:
    """A MemberAdded built past the contract's checks (its field limits), as a bug or an old producer
    could write one: the outbox must cope with whatever size a row has."""
    payload = MemberAdded.model_construct(
        rotation_id=rotation_id, email="big@example.com", name=name, time_zone="UTC"
    )
    return Envelope.new(payload, producer="outbox-test")


def oversized_member_added(rotation_id: str) -> Event:
    """A MemberAdded whose name is 1.1 MB."""
    return unchecked_member_added(rotation_id, "x" * 1_100_000)


async def create_outbox(url: str) -> AsyncEngine:
    engine = make_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(OUTBOX.create)
    return engine


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    created = await create_outbox(database_url)
    yield created
    await created.dispose()


@pytest.fixture
async def broker(kafka_bootstrap_servers: str, tracer_provider: TracerProvider) -> AsyncIterator[KafkaBroker]:
    producer = make_broker(
        kafka_bootstrap_servers,
        client_id="outbox-test",
        request_timeout_ms=5000,
    )
    yield producer
    await producer.stop()


async def write(engine: AsyncEngine, topics: Topics, events: list[Event]) -> None:
    async with engine.begin() as connection:
        await Outbox(topics).add(connection, events)


async def states(engine: AsyncEngine) -> dict[str, tuple[bool, str | None]]:
    """event id -> (published, park reason)."""
    async with engine.connect() as connection:
        rows = (await connection.execute(select(OUTBOX).order_by(OUTBOX.c.id))).all()
    return {row.event_id: (row.published_at is not None, row.park_reason) for row in rows}


def event_ids(records: list[ConsumerRecord[Any, Any]]) -> list[str]:
    return [str(registry.decode(r.value, dict(r.headers)).event_id) for r in records]


async def relay_until_idle(relay: OutboxRelay, rounds: int = 10) -> None:
    for _ in range(rounds):
        await relay.publish_pending()


async def test_a_row_too_large_for_kafka_is_parked_and_every_later_event_flows(
    engine: AsyncEngine,
    broker: KafkaBroker,
    topics: Topics,
    kafka_bootstrap_servers: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stuck, other = str(uuid.uuid4()), str(uuid.uuid4())
    before = member_added(stuck, "First")
    big = oversized_member_added(stuck)
    after_same_key = member_added(stuck, "After")
    other_key = member_added(other, "Other")
    await write(engine, topics, [before, big])
    await write(engine, topics, [after_same_key, other_key])

    relay = OutboxRelay(engine, broker)
    with caplog.at_level(logging.WARNING, logger="oncall_platform.relay"):
        assert await relay.publish_pending() == 3

    records = await read_records(kafka_bootstrap_servers, topics.rotation, at_least=3)
    assert sorted(event_ids(records)) == sorted(str(e.event_id) for e in (before, after_same_key, other_key))
    stuck_records = [r for r in records if r.key == stuck.encode()]
    assert event_ids(stuck_records) == [str(before.event_id), str(after_same_key.event_id)]
    published, reason = (await states(engine))[str(big.event_id)]
    assert not published
    assert reason is not None
    assert "larger than" in reason
    assert await relay.parked_count() == 1
    [warning] = [r for r in caplog.records if "parked" in r.getMessage()]
    assert warning.__dict__["event_id"] == str(big.event_id)
    assert warning.__dict__["event_type"] == "MemberAdded"
    assert warning.__dict__["key"] == stuck
    assert await relay.publish_pending() == 0  # nothing left, and the parked row is not retried


async def test_a_batch_the_broker_refuses_is_retried_row_by_row_and_only_the_culprit_is_parked(
    engine: AsyncEngine, broker: KafkaBroker, kafka_bootstrap_servers: str
) -> None:
    """The broker's own limit (the topic's max.message.bytes) is lower than the relay's check: the
    refusal comes back for a batch, so the relay isolates its rows and parks the one refused alone."""
    topics = Topics(prefix=f"small{uuid.uuid4().hex[:8]}.")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap_servers)
    await admin.start()
    try:
        small = {"max.message.bytes": "20000"}
        await admin.create_topics([NewTopic(topics.rotation, 1, 1, topic_configs=small)])
    finally:
        await admin.close()
    key = str(uuid.uuid4())
    first = member_added(key, "First")
    culprit = unchecked_member_added(key, "y" * 50_000)
    later = [member_added(key, f"Later {i}") for i in range(5)]
    await write(engine, topics, [first, culprit, *later])

    await relay_until_idle(OutboxRelay(engine, broker))

    result = await states(engine)
    assert result.pop(str(culprit.event_id))[1] is not None
    assert all(published for published, _ in result.values()), result
    records = await read_records(kafka_bootstrap_servers, topics.rotation, at_least=6)
    assert set(event_ids(records)) == {str(e.event_id) for e in (first, *later)}


async def test_an_invalid_topic_is_parked_without_holding_back_other_topics(
    engine: AsyncEngine, broker: KafkaBroker, topics: Topics, kafka_bootstrap_servers: str
) -> None:
    bad = member_added(str(uuid.uuid4()))
    good = member_added(str(uuid.uuid4()))
    await write(engine, Topics(prefix="not a topic!"), [bad])
    await write(engine, topics, [good])

    relay = OutboxRelay(engine, broker)
    assert await relay.publish_pending() == 1

    assert (await states(engine))[str(bad.event_id)] == (
        False,
        "invalid topic name 'not a topic!oncall.rotation.v1'",
    )
    [record] = await read_records(kafka_bootstrap_servers, topics.rotation, at_least=1)
    assert event_ids([record]) == [str(good.event_id)]


async def test_the_trace_of_the_writer_continues_in_the_published_message(
    engine: AsyncEngine,
    broker: KafkaBroker,
    topics: Topics,
    kafka_bootstrap_servers: str,
    tracer_provider: TracerProvider,
) -> None:
    with tracer_provider.get_tracer("test").start_as_current_span("request") as span:
        await write(engine, topics, [member_added(str(uuid.uuid4()))])
    trace_id = f"{span.get_span_context().trace_id:032x}"

    assert await OutboxRelay(engine, broker, tracer_provider=tracer_provider).publish_pending() == 1

    [record] = await read_records(kafka_bootstrap_servers, topics.rotation, at_least=1)
    traceparent = dict(record.headers)["traceparent"].decode()
    assert traceparent.split("-")[1] == trace_id


async def test_every_published_message_names_its_event_type_and_version_in_its_headers(
    engine: AsyncEngine, broker: KafkaBroker, topics: Topics, kafka_bootstrap_servers: str
) -> None:
    """Consumers skip the events they do not handle by these headers, without decoding the value."""
    account = PagerDutyAccount(subdomain="acme", region="us")
    provisioned = PagerDutyUserProvisioned(
        account=account, email="ada@example.com", user_id="PU1", name="Ada"
    )
    events = [member_added(str(uuid.uuid4())), Envelope.new(provisioned, producer="outbox-test")]
    await write(engine, topics, events)

    assert await OutboxRelay(engine, broker).publish_pending() == 2

    [rotation] = await read_records(kafka_bootstrap_servers, topics.rotation, at_least=1)
    [pagerduty] = await read_records(kafka_bootstrap_servers, topics.pagerduty, at_least=1)
    for record, event in zip((rotation, pagerduty), events, strict=True):
        headers = {name: value.decode() for name, value in record.headers}
        assert headers["event-type"] == event.type
        assert headers["event-version"] == str(event.version) == "1"
        assert headers["event-id"] == str(event.event_id)


async def test_two_relays_on_one_outbox_publish_every_row_once_in_order_per_key(
    engine: AsyncEngine, database_url: str, topics: Topics, kafka_bootstrap_servers: str
) -> None:
    keys = [str(uuid.uuid4()) for _ in range(8)]
    brokers = [make_broker(kafka_bootstrap_servers, client_id=f"relay-{i}") for i in range(2)]
    engines = [make_async_engine(database_url) for _ in range(2)]
    relays = [
        OutboxRelay(e, b, batch_size=15, poll_interval=0.05) for e, b in zip(engines, brokers, strict=True)
    ]
    stop = asyncio.Event()
    running = [asyncio.create_task(relay.run(stop)) for relay in relays]
    written: list[Event] = []
    try:
        for i in range(40):  # writes keep arriving while both relays run
            events = [member_added(keys[(i + j) % len(keys)], f"P{i}.{j}") for j in range(5)]
            await write(engine, topics, events)
            written.extend(events)
            relays[i % 2].wake()

        async def all_published() -> bool:
            return all(published for published, _ in (await states(engine)).values())

        await eventually(all_published, within=60, what="every row to be published", interval=0.1)
    finally:
        stop.set()
        await asyncio.gather(*running)
        for broker in brokers:
            await broker.stop()
        for created in engines:
            await created.dispose()

    records = await read_records(kafka_bootstrap_servers, topics.rotation, at_least=len(written))
    ids = event_ids(records)
    assert sorted(ids) == sorted(str(e.event_id) for e in written)  # each once: none skipped, none twice
    for key in keys:
        expected = [str(e.event_id) for e in written if e.subject == key]
        assert event_ids([r for r in records if r.key == key.encode()]) == expected


async def test_published_rows_are_pruned_after_the_retention_and_parked_rows_are_kept(
    engine: AsyncEngine, broker: KafkaBroker, topics: Topics
) -> None:
    key = str(uuid.uuid4())
    await write(engine, topics, [member_added(key), oversized_member_added(key)])
    relay = OutboxRelay(engine, broker)
    await relay.publish_pending()
    assert await OutboxRelay(engine, broker).prune() == 0  # published just now: within the retention

    from datetime import timedelta

    assert await OutboxRelay(engine, broker, retention=timedelta(0)).prune() == 1
    assert [reason is not None for _, reason in (await states(engine)).values()] == [True]


async def test_the_relay_works_on_sqlite_too(
    tmp_path: Path, broker: KafkaBroker, topics: Topics, kafka_bootstrap_servers: str
) -> None:
    engine = await create_outbox(f"sqlite:///{tmp_path / 'outbox.db'}")
    try:
        events = [member_added(str(uuid.uuid4())), oversized_member_added(str(uuid.uuid4()))]
        await write(engine, topics, events)
        assert await OutboxRelay(engine, broker).publish_pending() == 1
        result = await states(engine)
    finally:
        await engine.dispose()
    assert result[str(events[0].event_id)] == (True, None)
    assert result[str(events[1].event_id)][1] is not None
    records = await read_records(kafka_bootstrap_servers, topics.rotation, at_least=1)
    assert event_ids(records) == [str(events[0].event_id)]
