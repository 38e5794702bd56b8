"""One trace from "I swapped a shift" to "PagerDuty was updated", collected over OTLP from all three
service processes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from localsystem.api import RotationApi
from localsystem.convergence import ScheduleFeed, wait_until_converged
from localsystem.pagerduty import PagerDutyView
from localsystem.system import LocalSystem
from localsystem.walkthrough import (
    add_members,
    future_shift,
    last_monday_0900,
    split_primary_backup,
    wait_for_new_schedules,
)
from oncall_testing.eventually import eventually_sync
from oncall_testing.otlp import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.e2e

SERVER, PRODUCER, CONSUMER, CLIENT = 2, 4, 5, 3  # opentelemetry.proto.trace.v1.Span.SpanKind
ZONE = "America/New_York"


@pytest.fixture(scope="module")
def clients(local_system: LocalSystem) -> Iterator[tuple[RotationApi, PagerDutyView]]:
    api = RotationApi(local_system.api_url, local_system.token("tracer@example.com"))
    view = PagerDutyView(local_system.simulator_url, local_system.config.account.api_key)
    yield api, view
    api.close()
    view.close()


def test_a_swap_is_one_trace_from_the_api_to_pagerduty(
    local_system: LocalSystem, clients: tuple[RotationApi, PagerDutyView], otlp_receiver: OtlpReceiver
) -> None:
    api, pagerduty = clients
    rotation = str(api.create_rotation("Traced", ZONE, last_monday_0900(ZONE), horizon_days=28)["id"])
    add_members(api, rotation, [("hal@example.com", "Hal"), ("ivy@example.com", "Ivy")], ZONE)
    known = {s["id"] for s in pagerduty.schedules()}
    account = local_system.config.account
    api.configure_own(rotation, account.subdomain, account.api_key)
    schedule, _ = split_primary_backup(wait_for_new_schedules(pagerduty, known, count=1), "Traced")
    feed = ScheduleFeed(schedule, ((rotation, "primary"),))
    assert all(c.matches for c in wait_until_converged(api, pagerduty, [feed], timedelta(days=26)))

    shift = future_shift(api, rotation, not_before=timedelta(days=2))
    api.reassign_shift(rotation, shift["id"], primary=_other(shift["primary"]))
    comparisons = wait_until_converged(api, pagerduty, [feed], timedelta(days=26))
    assert comparisons[0].matches, comparisons[0].explain()

    _wait_for_trace(otlp_receiver, shift["id"], rotation, schedule)


def _other(email: str) -> str:
    return "ivy@example.com" if email == "hal@example.com" else "hal@example.com"


def _is_swap_request(span: ReceivedSpan, shift_id: str) -> bool:
    values = " ".join(str(v) for v in span.attributes.values())
    return (
        span.service == "rotation-service"
        and span.kind == SERVER
        and "PATCH" in (span.name + values)
        and ("/shifts/" in values or "/shifts/" in span.name)
        and (shift_id in values or "{shift_id}" in span.name + values)
    )


def _wait_for_trace(
    receiver: OtlpReceiver, shift_id: str, rotation: str, schedule: str, timeout_s: float = 30.0
) -> list[ReceivedSpan]:
    """The spans of the trace started by the PATCH of `shift_id`, once it is complete (on timeout the
    failure says what the trace lacked)."""

    def complete_trace() -> list[ReceivedSpan]:
        spans = receiver.spans()
        roots = [s for s in spans if _is_swap_request(s, shift_id)]
        seen = sorted({s.service for s in spans})
        assert roots, f"no server span of the PATCH request; services seen: {seen}"
        assert len({s.trace_id for s in roots}) == 1, "the swap request started more than one trace"
        trace = [s for s in spans if s.trace_id == roots[0].trace_id]
        _assert_complete(trace, rotation, schedule)
        return trace

    return eventually_sync(complete_trace, within=timeout_s, what="the swap's whole trace", interval=0.5)


def _assert_complete(trace: list[ReceivedSpan], rotation: str, schedule: str) -> None:
    summary = "\n".join(f"{s.service}: {s.name} kind={s.kind} {s.attributes}" for s in trace)
    kinds = {(s.service, s.kind) for s in trace}
    assert ("rotation-service", SERVER) in kinds, f"no HTTP request span:\n{summary}"
    assert ("rotation-service", PRODUCER) in kinds, f"no outbox relay publish span:\n{summary}"
    assert any(s.service == "pd-sync-service" and s.kind == CONSUMER for s in trace), (
        f"the sync's processing is not in the trace:\n{summary}"
    )
    writes = [
        s
        for s in trace
        if s.service == "pd-sync-service" and s.kind == CLIENT and s.name.split(" ")[0] in {"PUT", "POST"}
    ]
    assert writes, f"no PagerDuty HTTP write in the trace:\n{summary}"
    values = [v for s in trace for v in s.attributes.values()]
    assert rotation in values, f"no span attribute names the rotation {rotation}:\n{summary}"
    assert schedule in values, f"no span attribute names the PagerDuty schedule {schedule}:\n{summary}"
