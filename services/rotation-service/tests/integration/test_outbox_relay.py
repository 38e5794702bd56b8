from __future__ import annotations

from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import func, select

from oncall_contracts import registry
from oncall_contracts.topics import Topics
from oncall_platform.outbox import OUTBOX
from rotation_service.bootstrap import Container

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"


async def unpublished(container: Container) -> int:
    async with container.sessions() as session:
        statement = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
        return int((await session.execute(statement)).scalar_one())


async def test_changes_are_written_to_the_outbox_and_relayed_in_order(
    client: httpx.AsyncClient,
    api: Any,
    container: Container,
    topics: Topics,
    kafka_bootstrap_servers: str,
    read_events: Any,
) -> None:
    rotation = await api.create_rotation(OWNER)
    await api.add_member(rotation["id"], OWNER, "ann@example.com")
    await api.add_member(rotation["id"], OWNER, "bob@example.com")
    pending = await unpublished(container)
    assert pending >= 3  # created, two members, and shift changes

    published = await container.relay.publish_pending()
    assert published == pending
    assert await unpublished(container) == 0

    records = await read_events(kafka_bootstrap_servers, topics.rotation, at_least=pending)
    events = [registry.decode(r.value, dict(r.headers)) for r in records]
    assert len(events) == pending
    assert {r.key for r in records} == {rotation["id"].encode()}
    types = [e.type for e in events]
    assert types[0] == "RotationCreated"
    assert types.index("MemberAdded") < types.index("ShiftChanged")
    revisions = [e.payload.revision for e in events if e.type == "ShiftChanged"]
    assert revisions == sorted(revisions)
    assert len({e.event_id for e in events}) == len(events)


async def test_published_events_continue_the_http_request_trace(
    client: httpx.AsyncClient,
    api: Any,
    container: Container,
    topics: Topics,
    kafka_bootstrap_servers: str,
    read_events: Any,
    span_exporter: InMemorySpanExporter,
) -> None:
    rotation = await api.create_rotation(OWNER, name="Traced")
    request_spans = [s for s in span_exporter.get_finished_spans() if s.kind.name == "SERVER"]
    assert request_spans, "the FastAPI instrumentation recorded no request span"
    request_trace = request_spans[-1].context.trace_id

    await container.relay.publish_pending()
    [record] = await read_events(kafka_bootstrap_servers, topics.rotation, at_least=1)
    assert registry.decode(record.value, dict(record.headers)).payload.rotation_id == rotation["id"]
    traceparent = dict(record.headers)["traceparent"].decode()
    assert traceparent.split("-")[1] == f"{request_trace:032x}"
