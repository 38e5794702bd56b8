"""The outbox: encoded events written in the same transaction as the state change that caused them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from opentelemetry import propagate
from sqlalchemy.ext.asyncio import AsyncSession

from oncall_contracts import registry
from oncall_contracts.envelope import Envelope
from rotation_service.adapters.tables import OutboxRow


def current_trace_carrier() -> dict[str, str]:
    """The W3C trace context of the running span (the HTTP request), to continue it when publishing."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


class SqlOutbox:
    def __init__(self, session: AsyncSession, topic: str) -> None:
        self._session = session
        self._topic = topic
        self.added: int = 0

    def add_all(self, envelopes: Iterable[Envelope[Any]], now: datetime) -> None:
        carrier = current_trace_carrier()
        for envelope in envelopes:
            encoded = registry.encode(envelope)
            self._session.add(
                OutboxRow(
                    event_id=str(envelope.event_id),
                    topic=self._topic,
                    key=encoded.key,
                    value=encoded.value,
                    headers=encoded.headers,
                    traceparent=carrier.get("traceparent"),
                    tracestate=carrier.get("tracestate"),
                    created_at=now,
                )
            )
            self.added += 1
