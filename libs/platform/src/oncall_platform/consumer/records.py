"""One consumed Kafka record, as the pipeline sees it (independent of the client library)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]]

    @classmethod
    def of(cls, consumer_record: Any) -> Record:
        """From an aiokafka `ConsumerRecord`."""
        return cls(
            topic=consumer_record.topic,
            partition=consumer_record.partition,
            offset=consumer_record.offset,
            key=consumer_record.key,
            value=consumer_record.value or b"",
            headers=tuple(consumer_record.headers or ()),
        )

    def header(self, name: str) -> str | None:
        value = self.raw_header(name)
        return None if value is None else value.decode(errors="replace")

    def raw_header(self, name: str) -> bytes | None:
        """The first header named `name`, undecoded."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def text_headers(self) -> dict[str, str]:
        """The headers as text (bytes that are not UTF-8 replaced), for the registry and tracing."""
        return {key: value.decode(errors="replace") for key, value in self.headers}
