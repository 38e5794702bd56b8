"""The debounced PagerDuty write continues the trace of the consumed event that asked for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pd_sync_state import (
    NOW,
    SEALER,
    SqlState,
    apply,
    integration,
    provisioned,
    shift,
    sqlite_sessions,
    target,
)
from sqlalchemy import select

from oncall_pagerduty import PagerDutyClient, RetryPolicy
from oncall_platform.outbox import OutboxMessage
from pagerduty_sim.testing import RunningSimulator, run_simulator
from pd_sync_service.service_layer.reconciler import Reconciler
from pd_sync_service.service_layer.writer import PagerDutyApi

KEY = "trace-key"
OWN = "b2222222-2222-4222-8222-222222222222"


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with run_simulator([f"acme:{KEY}"]) as running:
        running.set_clock(NOW)
        yield running


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[SqlState]:
    async with sqlite_sessions(tmp_path) as made:
        yield SqlState(made)


def _reconciler(state: SqlState, sim: RunningSimulator, provider: TracerProvider) -> Reconciler:
    def client(api_key: str, region: str) -> PagerDutyApi:
        return PagerDutyClient(
            api_key, base_url=sim.base_url, retry=RetryPolicy(max_attempts=1), tracer_provider=provider
        )

    return Reconciler(state.unit_of_work, client, SEALER, sim.now, tracer_provider=provider)


def _user(sim: RunningSimulator, email: str) -> str:
    headers = {"Authorization": f"Token token={KEY}", "From": "admin@example.com"}
    body = {"user": {"type": "user", "name": email[:3], "email": email, "time_zone": "UTC"}}
    response = httpx.post(
        f"{sim.base_url}/users", json=body, headers=headers, verify=sim.verify
    ).raise_for_status()
    return str(response.json()["user"]["id"])


async def test_the_pagerduty_write_shares_the_trace_of_the_consuming_span(
    state: SqlState,
    sim: RunningSimulator,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    await apply(state, provisioned("ada@example.com", _user(sim, "ada@example.com")))
    tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
    with tracer.start_as_current_span("consume", kind=SpanKind.CONSUMER) as consuming:
        await apply(state, integration(OWN, api_key=KEY), shift(OWN, 0, "ada@example.com", revision=1))
    trace_id = consuming.get_span_context().trace_id

    await _reconciler(state, sim, tracer_provider).sync_target(OWN, "primary")  # outside any span

    spans = span_exporter.get_finished_spans()
    writes = [s for s in spans if s.kind == SpanKind.CLIENT and s.name.split(" ")[0] in {"PUT", "POST"}]
    assert writes, [s.name for s in spans]
    assert {s.context.trace_id for s in writes} == {trace_id}
    (reconcile,) = [s for s in spans if s.name == "reconcile"]
    assert reconcile.parent is not None
    assert reconcile.parent.span_id == consuming.get_span_context().span_id
    row = await target(state, OWN)
    assert reconcile.attributes is not None
    assert reconcile.attributes["rotation.id"] == OWN
    assert reconcile.attributes["pagerduty.schedule.id"] == row.schedule_id
    assert row.traceparent is None  # synced: a later drift check starts a trace of its own

    async with state.sessions() as session:  # the ScheduleSynced it publishes continues the same trace
        outbox = list(await session.scalars(select(OutboxMessage)))
    assert outbox
    assert all(f"-{trace_id:032x}-" in (r.traceparent or "") for r in outbox)


async def test_a_sync_without_a_stored_context_starts_its_own_trace(
    state: SqlState,
    sim: RunningSimulator,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    await apply(state, provisioned("ada@example.com", _user(sim, "ada@example.com")))
    await apply(state, integration(OWN, api_key=KEY), shift(OWN, 0, "ada@example.com", revision=1))
    await _reconciler(state, sim, tracer_provider).sync_target(OWN, "primary")
    (reconcile,) = [s for s in span_exporter.get_finished_spans() if s.name == "reconcile"]
    assert reconcile.parent is None
