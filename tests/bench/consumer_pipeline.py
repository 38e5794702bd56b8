"""CPU per record of the shared consumer pipeline, without a broker or a database.

    uv run python tests/bench/consumer_pipeline.py [--batches 2000] [--repeat 5]

Each batch is 100 encoded records on 3 partitions of one topic: ~90% are events the consumer does
not handle (skipped by their `event-type` header, as the user-provisioner skips shifts), ~10% are
MemberAdded, handled in one in-memory unit of work (`oncall_testing.unit_of_work`). "process" is
`ConsumerPipeline.process`; "batch" is what the subscription does per fetched batch
(`subscription._consume_batch`: process, commit/seek on a fake aiokafka consumer, lag update);
"skipped" is that for batches whose 100 records are all skipped (the pipeline's own overhead).
Reported: the best of `--repeat` runs, in microseconds of CPU (`time.process_time`) per record.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from oncall_contracts import Envelope, MemberAdded, ShiftChanged, registry
from oncall_contracts.payload import Payload
from oncall_platform.consumer import (
    ConsumerOptions,
    ConsumerPipeline,
    DeadLetter,
    EventConsumer,
    Record,
    subscription,
)
from oncall_testing.unit_of_work import InMemoryDatabase, InMemoryUnitOfWork

BATCH = 100
HANDLED_EVERY = 10  # one record in ten is handled
PARTITIONS = 3
TOPIC = "bench.rotation"
ROTATIONS = [str(uuid.UUID(int=n + 1)) for n in range(7)]
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@dataclass
class State:
    processed: set[tuple[str, uuid.UUID]] = field(default_factory=set)
    members: list[str] = field(default_factory=list)


class Unit(InMemoryUnitOfWork[State]):
    def attach(self, working: State) -> None:
        return None


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[Unit]:
    unit = Unit(InMemoryDatabase(State()))  # a fresh inbox per batch: the same records fold each run
    async with unit:
        yield unit
        await unit.commit()


async def handle(unit: Unit, envelope: Envelope[Any]) -> None:
    unit.working.members.append(envelope.payload.email)


class DeadLetters:
    async def publish(self, record: Record, letter: DeadLetter) -> None:
        raise AssertionError("nothing is dead-lettered in this benchmark")


class FakeKafka:
    """What the subscription uses of an aiokafka consumer."""

    def __init__(self) -> None:
        self.commits = 0

    async def commit(self, offsets: Any) -> None:
        self.commits += 1

    def seek(self, partition: Any, offset: int) -> None:
        raise AssertionError("every record finishes in this benchmark")

    def assignment(self) -> set[Any]:
        return set()

    def highwater(self, partition: Any) -> int | None:
        return None


def _payload(i: int, handled_every: int) -> Payload:
    rotation = ROTATIONS[i % len(ROTATIONS)]
    if handled_every and i % handled_every == 0:
        return MemberAdded(rotation_id=rotation, email=f"m{i}@example.com", name=f"M {i}", time_zone="UTC")
    start = START + timedelta(hours=8 * i)
    return ShiftChanged(
        rotation_id=rotation,
        shift_id=f"shift-{i}",
        revision=i + 1,
        start=start,
        end=start + timedelta(hours=8),
        primary=f"p{i}@example.com",
    )


def batch_of_records(handled_every: int = HANDLED_EVERY) -> list[Record]:
    records = []
    for i in range(BATCH):
        encoded = registry.encode(Envelope.new(_payload(i, handled_every), producer="bench"))
        partition = i % PARTITIONS
        records.append(
            Record(
                topic=TOPIC,
                partition=partition,
                offset=1000 + i // PARTITIONS,
                key=encoded.key,
                value=encoded.value,
                headers=tuple(encoded.kafka_headers()),
            )
        )
    return records


def cpu_us_per_record(run: Callable[[], Coroutine[Any, Any, None]], batches: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        asyncio.run(run())
        best = min(best, time.process_time() - started)
    return best / (batches * BATCH) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    consumer = EventConsumer(group="bench", handles=(MemberAdded,), unit_of_work=unit_of_work, handle=handle)
    pipeline = ConsumerPipeline(consumer, DeadLetters(), ConsumerOptions())  # type: ignore[arg-type]
    records = batch_of_records()
    skipped = batch_of_records(handled_every=0)
    kafka = FakeKafka()

    async def process() -> None:
        for _ in range(args.batches):
            await pipeline.process(records)

    async def batch() -> None:
        for _ in range(args.batches):
            await subscription._consume_batch(pipeline, kafka, records)

    async def skipped_batch() -> None:
        for _ in range(args.batches):
            await subscription._consume_batch(pipeline, kafka, skipped)

    print(f"process  {cpu_us_per_record(process, args.batches, args.repeat):7.2f} µs CPU/record")
    print(f"batch    {cpu_us_per_record(batch, args.batches, args.repeat):7.2f} µs CPU/record")
    print(f"skipped  {cpu_us_per_record(skipped_batch, args.batches, args.repeat):7.2f} µs CPU/record")


if __name__ == "__main__":
    main()
