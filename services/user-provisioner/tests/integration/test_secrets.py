"""A PagerDuty API key never appears in a Kafka message, log line, span or database row."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from oncall_contracts import PagerDutyUserProvisioned, UserProvisioningFailed
from oncall_platform.database import make_async_engine

pytestmark = pytest.mark.integration

WRONG_KEY = "globex-Wrong-Key-0003"


async def test_api_keys_stay_out_of_messages_logs_spans_and_rows(
    harness: Any,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good, bad = harness.new_rotation_id(), harness.new_rotation_id()
    harness.sim.faults(error_next=2)  # the retry path logs too
    await harness.publish(
        [
            harness.integration(good, "acme", harness.acme_key),
            *harness.members(good, 3),
            harness.integration(bad, "globex", WRONG_KEY),
            *harness.members(bad, 2, domain="globex.example"),
        ]
    )
    with caplog.at_level(logging.DEBUG):
        async with harness.replica(tracer_provider=tracer_provider):
            await harness.eventually(lambda: _outcomes(harness, 5), 30, "five outcomes")

    secrets = [harness.acme_key, WRONG_KEY]
    spans = span_exporter.get_finished_spans()
    pagerduty_spans = [span for span in spans if span.attributes and "pagerduty.account" in span.attributes]
    assert {(span.attributes or {})["pagerduty.account"] for span in pagerduty_spans} == {
        "us:acme",
        "us:globex",
        "eu:globex",  # the key check asks the other region whether the refused key belongs there
    }
    span_text = " ".join(
        f"{s.name} {dict(s.attributes or {})} {s.status.description} {s.events}" for s in spans
    )
    log_text = "\n".join(record.getMessage() for record in caplog.records)
    assert "retry" in log_text
    messages = [
        value
        for topic in (harness.topics.rotation, harness.topics.pagerduty)
        for _, value in await harness.read_all(topic)
    ]
    rows = await _all_rows(harness.database_url)
    assert "us:acme" in rows
    for secret in secrets:
        assert secret not in span_text
        assert secret not in log_text
        assert all(secret.encode() not in message for message in messages)
        assert secret not in rows


async def _outcomes(harness: Any, count: int) -> bool:
    kinds = (PagerDutyUserProvisioned, UserProvisioningFailed)
    return sum(isinstance(e.payload, kinds) for e in await harness.results()) >= count


async def _all_rows(database_url: str) -> str:
    engine = make_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            dumped: list[str] = []
            for table in ("memberships", "rotation_accounts", "pending_users", "provisioned_users"):
                dumped.extend(str(row) for row in await conn.execute(text(f"SELECT * FROM {table}")))
            return "\n".join(dumped)
    finally:
        await engine.dispose()
