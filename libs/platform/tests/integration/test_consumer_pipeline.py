"""The consumer pipeline on the real broker and database: poison events, outages, duplicates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from oncall_contracts import Envelope, MemberAdded, RotationCreated, RotationDeleted, Topics, registry
from oncall_platform.consumer import ConsumerOptions, EventConsumer, subscribe
from oncall_platform.database import make_async_engine
from oncall_platform.inbox import ProcessedEvent, record_new, record_once
from oncall_platform.kafka import ensure_topics, make_broker
from oncall_testing.eventually import eventually
from oncall_testing.kafka import delete_topics, free_port, read_exactly

pytestmark = pytest.mark.integration

GROUP = "pipeline-test"
MAX_ATTEMPTS = 3
ROTATIONS = [str(uuid.uuid4()) for _ in range(10)]
APPLIED = Table(
    "applied",
    MetaData(),
    Column("event_id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("times", Integer, nullable=False),
)


class Unit:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        return await record_once(self.connection, consumer, event_id)


class BatchUnit(Unit):
    """A unit that records a batch's ids in one statement, as the platform's SQL unit of work does."""

    async def first_times(self, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        self.batches.append(len(event_ids))
        return await record_new(self.connection, consumer, event_ids)

    batches: list[int] = []


@dataclass
class World:
    engine: AsyncEngine
    topics: Topics
    servers: str
    producer: AIOKafkaProducer
    calls: dict[uuid.UUID, int] = field(default_factory=dict)
    commits: int = 0
    failing_units: int = 0  # the next this many units of work meet a database that is down
    batch_inbox: bool = False  # units record a batch's ids in one call (BatchUnit)

    async def publish(self, envelope: Envelope[Any]) -> tuple[int, int]:
        encoded = registry.encode(envelope)
        return await self.send(encoded.value, encoded.kafka_headers(), encoded.key)

    async def send(self, value: bytes, headers: list[tuple[str, bytes]], key: bytes) -> tuple[int, int]:
        sent = await self.producer.send_and_wait(self.topics.rotation, value, key=key, headers=headers)
        return sent.partition, sent.offset

    async def applied(self, event_id: uuid.UUID) -> int | None:
        async with self.engine.connect() as connection:
            row = await connection.execute(select(APPLIED.c.times).where(APPLIED.c.event_id == event_id))
            return row.scalar_one_or_none()

    async def wait_applied(self, event_id: uuid.UUID, timeout_s: float = 30.0) -> None:

        async def applied() -> bool:
            return await self.applied(event_id) is not None

        await eventually(applied, within=timeout_s, what=f"event {event_id} to be applied", interval=0.05)

    async def dead_letters(self, expected: int) -> list[ConsumerRecord[bytes, bytes]]:
        """The dead-letter topic's records once it holds `expected` of them (and never more)."""
        return await read_exactly(self.servers, self.topics.dead_letter(GROUP), expected)

    async def committed(self, partition: int) -> int | None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.servers)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.topics.consumer_group(GROUP))
        finally:
            await admin.close()
        meta = offsets.get(TopicPartition(self.topics.rotation, partition))
        return None if meta is None else meta.offset

    async def wait_committed(self, partition: int, offset: int, timeout_s: float = 30.0) -> None:

        async def committed() -> bool:
            return await self.committed(partition) == offset

        await eventually(
            committed, within=timeout_s, what=f"offset {offset} committed on partition {partition}"
        )

    def unit_of_work(self, dead: AsyncEngine) -> Callable[[], AbstractAsyncContextManager[Unit]]:
        @asynccontextmanager
        async def unit() -> AsyncIterator[Unit]:
            engine = self.engine
            if self.failing_units > 0:
                self.failing_units -= 1
                engine = dead  # a real connection refused by a database that is not there
            async with engine.begin() as connection:
                yield BatchUnit(connection) if self.batch_inbox else Unit(connection)

        return unit

    async def handle(self, unit: Unit, envelope: Envelope[Any]) -> None:
        self.calls[envelope.event_id] = self.calls.get(envelope.event_id, 0) + 1
        if envelope.payload.name == "poison":
            raise ValueError(f"cannot apply {envelope.payload.email}")
        times = self.calls[envelope.event_id]
        await unit.connection.execute(
            insert(APPLIED).values(event_id=envelope.event_id, name=envelope.payload.name, times=times)
        )

    def committed_batch(self) -> None:
        self.commits += 1


def member(rotation_id: str, name: str) -> Envelope[MemberAdded]:
    payload = MemberAdded(
        rotation_id=rotation_id, email=f"{uuid.uuid4().hex[:8]}@example.com", name=name, time_zone="UTC"
    )
    return Envelope.new(payload, producer="pipeline-test")


Start = Callable[[], Awaitable[None]]


@pytest.fixture
async def world(kafka_bootstrap_servers: str, topics: Topics, database_url: str) -> AsyncIterator[World]:
    dead_letter_topic = [
        spec for spec in replace(topics, consumer_groups=(GROUP,)).specs() if "dlq" in spec.name
    ]
    await ensure_topics(kafka_bootstrap_servers, dead_letter_topic)
    engine = make_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(ProcessedEvent.__table__.create)  # type: ignore[attr-defined]
        await connection.run_sync(APPLIED.create)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap_servers, enable_idempotence=True)
    await producer.start()
    yield World(engine, topics, kafka_bootstrap_servers, producer)
    await producer.stop()
    await engine.dispose()
    await delete_topics(kafka_bootstrap_servers, [spec.name for spec in dead_letter_topic])


@pytest.fixture
async def start(world: World) -> AsyncIterator[Start]:
    """Starts the consumer (after the test published what it should find)."""
    # a publish the broker refuses fails after 5 s, not aiokafka's default 40 s
    broker = make_broker(world.servers, client_id="pipeline-test", request_timeout_ms=5_000)
    dead = make_async_engine(f"postgresql://nobody:nothing@127.0.0.1:{free_port()}/gone")
    consumer = EventConsumer(
        group=GROUP,
        handles=(MemberAdded,),
        unit_of_work=world.unit_of_work(dead),
        handle=world.handle,
        after_commit=world.committed_batch,
    )
    options = ConsumerOptions(max_attempts=MAX_ATTEMPTS, retry_backoff_s=0.02, max_backoff_s=0.2)
    subscribe(broker, world.topics, consumer, sources=[world.topics.rotation], options=options)

    async def run() -> None:
        await broker.start()

    yield run
    await broker.stop()
    await dead.dispose()


def headers_of(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {key: value.decode() for key, value in record.headers}


async def test_a_poison_event_is_dead_lettered_and_the_next_event_of_its_partition_is_handled(
    world: World, start: Start
) -> None:
    poison, after = member(ROTATIONS[1], "poison"), member(ROTATIONS[1], "Ada")
    partition, poison_offset = await world.publish(poison)
    assert await world.publish(after) == (partition, poison_offset + 1)  # same key, same partition
    await start()

    await world.wait_applied(after.event_id)
    (letter,) = await world.dead_letters(1)
    headers = headers_of(letter)
    assert headers["dlq-reason"] == f"cannot apply {poison.payload.email}"
    assert headers["dlq-error-class"] == "ValueError"
    assert headers["dlq-attempts"] == str(MAX_ATTEMPTS)
    assert headers["dlq-source-topic"] == world.topics.rotation
    assert headers["dlq-source-partition"] == str(partition)
    assert headers["dlq-source-offset"] == str(poison_offset)
    assert headers["dlq-event-id"] == str(poison.event_id)
    assert headers["dlq-event-type"] == "MemberAdded"
    assert letter.value == registry.encode(poison).value
    # tried MAX_ATTEMPTS times alone, plus once in the batch it arrived with when fetched together
    assert MAX_ATTEMPTS <= world.calls[poison.event_id] <= MAX_ATTEMPTS + 1
    assert await world.applied(poison.event_id) is None
    await world.wait_committed(partition, poison_offset + 2)


async def test_a_database_outage_is_retried_without_dead_lettering_and_handles_the_event_once(
    world: World, start: Start
) -> None:
    world.failing_units = 2 * MAX_ATTEMPTS  # more failures than an event may have
    event = member(ROTATIONS[2], "Grace")
    partition, offset = await world.publish(event)
    await start()

    await world.wait_applied(event.event_id)
    assert world.failing_units == 0
    assert world.calls[event.event_id] == 1
    assert await world.applied(event.event_id) == 1
    await world.dead_letters(0)
    await world.wait_committed(partition, offset + 1)


async def test_undecodable_bytes_are_dead_lettered_at_once(world: World, start: Start) -> None:
    partition, garbage = await world.send(b"\x00not json", [("odd", b"\xff\xfe")], key=ROTATIONS[3].encode())
    after = member(ROTATIONS[3], "Edsger")
    assert await world.publish(after) == (partition, garbage + 1)
    await start()

    await world.wait_applied(after.event_id)
    (letter,) = await world.dead_letters(1)
    headers = headers_of(letter)
    assert headers["dlq-reason"].startswith("not JSON")
    assert headers["dlq-error-class"] == "oncall_contracts.errors.ContractError"
    assert headers["dlq-attempts"] == "1"
    assert headers["dlq-source-offset"] == str(garbage)
    assert letter.value == b"\x00not json"


async def test_a_redelivered_event_changes_nothing(world: World, start: Start) -> None:
    event, marker = member(ROTATIONS[4], "Barbara"), member(ROTATIONS[4], "Marker")
    await world.publish(event)
    await start()
    await world.wait_applied(event.event_id)
    await world.publish(event)  # the same event id again, handled in a later batch
    await world.publish(marker)

    await world.wait_applied(marker.event_id)
    assert world.calls[event.event_id] == 1
    assert await world.applied(event.event_id) == 1
    await world.dead_letters(0)


async def test_events_not_handled_are_skipped_by_their_header_without_parsing(
    world: World, start: Start
) -> None:
    # an event type this consumer does not handle, with a body it could not even parse
    await world.send(
        b"{broken", [("event-type", RotationCreated.EVENT_TYPE.encode())], key=ROTATIONS[5].encode()
    )
    marker = member(ROTATIONS[5], "Marker")
    partition, _ = await world.publish(marker)
    # skipped last in its partition: its offset is committed all the same
    _, last = await world.send(
        b"{broken", [("event-type", RotationDeleted.EVENT_TYPE.encode())], key=ROTATIONS[5].encode()
    )
    await start()

    await world.wait_applied(marker.event_id)
    await world.wait_committed(partition, last + 1)
    assert list(world.calls) == [marker.event_id]
    await world.dead_letters(0)


async def test_events_without_the_type_header_are_decoded_and_skipped_or_handled_by_their_payload(
    world: World, start: Start
) -> None:
    """Older producers sent no `event-type` header: such records are decoded as before."""
    rotation = ROTATIONS[8]
    not_handled = registry.encode(Envelope.new(RotationDeleted(rotation_id=rotation), producer="old"))
    handled = member(rotation, "Headerless")
    partition, _ = await world.send(not_handled.value, [], key=not_handled.key)
    await world.send(registry.encode(handled).value, [], key=rotation.encode())
    unknown = not_handled.value.replace(b"RotationDeleted", b"NoSuchEvent")
    _, last = await world.send(unknown, [], key=rotation.encode())
    await start()

    await world.wait_applied(handled.event_id)
    assert list(world.calls) == [handled.event_id]
    # a headerless record is decoded, so one that does not decode is dead-lettered as before
    (letter,) = await world.dead_letters(1)
    assert headers_of(letter)["dlq-reason"] == "unknown event type 'NoSuchEvent'"
    await world.wait_committed(partition, last + 1)


async def test_events_waiting_together_are_handled_in_one_transaction_per_fetch(
    world: World, start: Start
) -> None:
    events = [member(ROTATIONS[6], f"Member {index}") for index in range(20)]
    for event in events:
        await world.publish(event)
    await start()

    for event in events:
        await world.wait_applied(event.event_id)
    assert world.commits < len(events)  # 20 waiting events arrive in far fewer fetches, one commit each
    assert all(world.calls[event.event_id] == 1 for event in events)


async def test_a_batch_recorded_in_the_inbox_at_once_handles_each_new_event_once(
    world: World, start: Start
) -> None:
    world.batch_inbox = True
    BatchUnit.batches.clear()
    earlier = member(ROTATIONS[9], "Earlier")
    async with world.engine.begin() as connection:  # applied before: in the inbox already
        assert await record_once(connection, GROUP, earlier.event_id)
    events = [member(ROTATIONS[9], f"Member {index}") for index in range(10)]
    for event in [earlier, *events, events[3]]:  # one redelivered, one twice in the same fetch
        await world.publish(event)
    await start()

    for event in events:
        await world.wait_applied(event.event_id)
    assert earlier.event_id not in world.calls
    assert all(world.calls[event.event_id] == 1 for event in events)
    assert max(BatchUnit.batches) > 1  # waiting events came in one fetch: one inbox statement for them


async def test_a_failing_batch_falls_back_to_one_event_at_a_time_and_isolates_the_poison(
    world: World, start: Start
) -> None:
    events = [member(ROTATIONS[7], "poison" if index == 5 else f"Member {index}") for index in range(10)]
    for event in events:
        await world.publish(event)
    await start()

    good = [event for event in events if event.payload.name != "poison"]
    for event in good:
        await world.wait_applied(event.event_id)
    (letter,) = await world.dead_letters(1)
    assert headers_of(letter)["dlq-event-id"] == str(events[5].event_id)
    # at most once in the failed (rolled back) batch and once alone
    assert all(world.calls[event.event_id] <= 2 for event in good)


async def test_a_broker_refusing_the_dead_letter_is_retried_without_counting_attempts(
    world: World, start: Start
) -> None:
    dead_letter_topic = replace(world.topics, consumer_groups=(GROUP,)).specs()[-1]
    await delete_topics(world.servers, [dead_letter_topic.name])  # the broker refuses to take it
    poison, after = member(ROTATIONS[0], "poison"), member(ROTATIONS[0], "Alan")
    await world.publish(poison)
    await world.publish(after)
    await start()

    async def given_up_on_twice() -> bool:  # given up on, and again
        return world.calls.get(poison.event_id, 0) >= 2 * MAX_ATTEMPTS

    await eventually(given_up_on_twice, within=60, what="the poison event tried twice over", interval=0.05)
    assert await world.applied(after.event_id) is None  # the partition's order holds meanwhile
    await ensure_topics(world.servers, [dead_letter_topic])

    await world.wait_applied(after.event_id, timeout_s=60)
    (letter,) = await world.dead_letters(1)
    assert headers_of(letter)["dlq-attempts"] == str(MAX_ATTEMPTS)  # the refusals did not count
    assert headers_of(letter)["dlq-event-id"] == str(poison.event_id)
