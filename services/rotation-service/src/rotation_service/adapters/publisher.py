"""Publishing encoded events to Kafka through a faststream broker (idempotent producer, acks=all)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from faststream.kafka import KafkaBroker


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes
    value: bytes
    headers: dict[str, str]


class EventPublisher(Protocol):
    async def connect(self) -> None:
        """Make sure the producer is usable; raises while the broker cannot be reached."""

    async def send(self, message: OutgoingMessage) -> Awaitable[object]:
        """Queue one message; the returned awaitable completes when the broker acknowledged it."""


class KafkaEventPublisher:
    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker
        self._connected = False

    async def connect(self) -> None:
        if not self._connected:
            await self._broker.connect()
            self._connected = True

    async def send(self, message: OutgoingMessage) -> Awaitable[object]:
        future: asyncio.Future[object] = await self._broker.publish(
            message.value,
            topic=message.topic,
            key=message.key,
            headers=dict(message.headers),
            no_confirm=True,
        )
        return future

    async def close(self) -> None:
        if self._connected:
            await self._broker.stop()
            self._connected = False
