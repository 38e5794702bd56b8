"""Waiting for the services' Kafka consumers to catch up, so a timed phase starts from a quiet system."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from oncall_testing.eventually import eventually


async def _lag(admin: AIOKafkaAdminClient, probe: AIOKafkaConsumer, prefix: str) -> int:
    """Messages not yet committed by the consumer groups under `prefix`, over all their partitions."""
    groups = [group for group, *_ in await admin.list_consumer_groups() if str(group).startswith(prefix)]
    lag = 0
    for group in groups:
        committed = await admin.list_consumer_group_offsets(group)
        if not committed:
            continue
        ends = await probe.end_offsets(list(committed))
        lag += sum(max(0, ends[partition] - meta.offset) for partition, meta in committed.items())
    return lag


async def _wait(bootstrap: str, prefix: str, timeout_s: float) -> float:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await probe.start()
    started = time.monotonic()
    quiet_checks = 0

    async def quiet_twice() -> bool:  # twice in a row: nothing in flight between two looks either
        nonlocal quiet_checks
        quiet_checks = quiet_checks + 1 if await _lag(admin, probe, prefix) == 0 else 0
        return quiet_checks >= 2

    try:
        await eventually(
            quiet_twice, within=timeout_s, what=f"the consumers under {prefix!r} to catch up", interval=1.0
        )
        return time.monotonic() - started
    finally:
        await probe.stop()
        await admin.close()


async def _committed(admin: AIOKafkaAdminClient, prefix: str) -> dict[str, int]:
    """Per consumer group under `prefix`: the offsets it has committed, summed over its partitions."""
    groups = [group for group, *_ in await admin.list_consumer_groups() if str(group).startswith(prefix)]
    totals: dict[str, int] = {}
    for group in groups:
        committed = await admin.list_consumer_group_offsets(group)
        totals[str(group)] = sum(max(0, meta.offset) for meta in committed.values())
    return totals


async def _committed_now(bootstrap: str, prefix: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return await _committed(admin, prefix)
    finally:
        await admin.close()


def committed_per_group(bootstrap: str, prefix: str) -> dict[str, int]:
    """The events each consumer group under `prefix` has consumed (committed) so far, over all topics."""
    return asyncio.run(_committed_now(bootstrap, prefix))


def consumed_between(
    before: dict[str, int], after: dict[str, int], seconds: float
) -> dict[str, dict[str, float]]:
    """Per group: the events committed between two looks and their rate over `seconds`."""
    return {
        group: {
            "events": after[group] - before.get(group, 0),
            "events_per_s": (after[group] - before.get(group, 0)) / seconds if seconds > 0 else 0.0,
        }
        for group in sorted(after)
    }


def wait_until_caught_up(bootstrap: str, prefix: str, timeout_s: float = 1800.0) -> float:
    """Block until every consumer group under `prefix` has committed all it subscribes to; returns the
    seconds waited."""
    return asyncio.run(_wait(bootstrap, prefix, timeout_s))
