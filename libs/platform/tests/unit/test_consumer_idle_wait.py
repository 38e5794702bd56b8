"""The shared subscriber waits for records in one long `getmany` and never sleeps after an empty one."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from faststream.kafka import KafkaBroker

from oncall_contracts import MemberAdded, Topics
from oncall_platform.consumer import ConsumerOptions, EventConsumer, subscribe


class FakeKafka:
    def __init__(self, results: list[dict[str, list[str]]]) -> None:
        self.results = results
        self.timeouts: list[int] = []

    async def getmany(self, *, timeout_ms: int, max_records: int | None) -> dict[str, list[str]]:
        self.timeouts.append(timeout_ms)
        return self.results.pop(0)


def unit() -> AbstractAsyncContextManager[Any]:
    raise AssertionError("not used")


async def handle(unit: Any, envelope: Any) -> None:
    raise AssertionError("not used")


def subscriber(idle_wait_ms: int) -> Any:
    broker = KafkaBroker()
    consumer = EventConsumer(group="g", handles=(MemberAdded,), unit_of_work=unit, handle=handle)
    subscribe(broker, Topics(), consumer, sources=["t"], options=ConsumerOptions(idle_wait_ms=idle_wait_ms))
    (installed,) = broker.subscribers
    return installed


async def test_an_empty_wait_returns_at_once_to_wait_again(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s after an empty fetch")

    # what faststream's BatchSubscriber.get_msg awaits after an empty fetch
    monkeypatch.setattr("faststream.kafka.subscriber.usecase.anyio.sleep", no_sleep)
    kafka = FakeKafka([{}, {"p0": ["a", "b"], "p1": ["c"]}])
    installed = subscriber(idle_wait_ms=5_000)

    assert await installed.get_msg(kafka) == ()
    assert await installed.get_msg(kafka) == ("a", "b", "c")
    assert kafka.timeouts == [5_000, 5_000]
