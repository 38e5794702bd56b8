"""The one metrics module: `/metrics` in the Prometheus text format, request durations by route
template, consumer lag per partition, the pipeline's counters and the PagerDuty client's."""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from oncall_contracts import Envelope, MemberAdded, registry
from oncall_pagerduty import PagerDutyClient, RequestBudget
from oncall_pagerduty.budget import key_fingerprint
from oncall_pagerduty.retry import RetryPolicy
from oncall_platform.consumer import ConsumerOptions, ConsumerPipeline, DeadLetter, EventConsumer, Record
from oncall_platform.metrics import METRICS_PATH, ConsumerLag, HttpMetrics, observe_gc_pauses


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _get(app: Any, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as http:
        return await http.get(path)


@pytest.mark.asyncio
async def test_metrics_are_served_in_the_prometheus_text_format() -> None:
    async def hello(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("hi")(scope, receive, send)

    response = await _get(HttpMetrics(hello), METRICS_PATH)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {
        "oncall_http_request_duration_seconds",
        "oncall_events_consumed",
        "oncall_consumer_lag_records",
    } <= (names)


@pytest.mark.asyncio
async def test_requests_are_timed_by_route_template_never_by_raw_path() -> None:
    async def thing(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.path_params["thing_id"], status_code=201)

    app = HttpMetrics(Starlette(routes=[Route("/things/{thing_id}", thing)]))
    templated = {"method": "GET", "route": "/things/{thing_id}", "status": "201"}
    unmatched = {"method": "GET", "route": "other", "status": "404"}
    before = _value("oncall_http_request_duration_seconds_count", **templated)
    before_unmatched = _value("oncall_http_request_duration_seconds_count", **unmatched)

    assert (await _get(app, "/things/42")).status_code == 201
    assert (await _get(app, "/things/43")).status_code == 201
    assert (await _get(app, f"/scan/{uuid.uuid4()}")).status_code == 404

    assert _value("oncall_http_request_duration_seconds_count", **templated) == before + 2
    assert _value("oncall_http_request_duration_seconds_count", **unmatched) == before_unmatched + 1


@pytest.mark.asyncio
async def test_an_app_without_a_router_names_its_known_paths() -> None:
    async def ok(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("ok")(scope, receive, send)

    labels = {"method": "GET", "route": "/healthz", "status": "200"}
    before = _value("oncall_http_request_duration_seconds_count", **labels)
    await _get(HttpMetrics(ok, known_paths=["/healthz"]), "/healthz")
    assert _value("oncall_http_request_duration_seconds_count", **labels) == before + 1


class _Consumer:
    """What lag reads of an aiokafka consumer: its assignment and each partition's high watermark."""

    def __init__(self, highwater: dict[tuple[str, int], int]) -> None:
        self.highwater_of = highwater

    def assignment(self) -> set[tuple[str, int]]:
        return set(self.highwater_of)

    def highwater(self, partition: tuple[str, int]) -> int | None:
        return self.highwater_of.get(partition)


def _lag(collector: ConsumerLag) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["consumer_group"], s.labels["topic"], s.labels["partition"]): s.value
        for family in collector.collect()
        for s in family.samples
    }


def test_lag_is_the_distance_to_the_high_watermark_per_partition_at_scrape_time() -> None:
    collector = ConsumerLag()
    consumer = _Consumer({("rotation", 0): 10, ("rotation", 1): 4})
    collector.processed("pd-sync", consumer, {("rotation", 0): 7, ("rotation", 1): 4})
    assert _lag(collector) == {("pd-sync", "rotation", "0"): 3, ("pd-sync", "rotation", "1"): 0}

    consumer.highwater_of[("rotation", 1)] = 9  # new records arrived; nothing processed yet
    assert _lag(collector)[("pd-sync", "rotation", "1")] == 5

    del consumer.highwater_of[("rotation", 0)]  # revoked by a rebalance: no longer reported
    assert _lag(collector) == {("pd-sync", "rotation", "1"): 5}


class _Unit:
    seen: set[uuid.UUID] = set()

    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        if event_id in self.seen:
            return False
        self.seen.add(event_id)
        return True


class _DeadLetters:
    def __init__(self) -> None:
        self.letters: list[DeadLetter] = []

    async def publish(self, record: Record, letter: DeadLetter) -> None:
        self.letters.append(letter)


def _record(offset: int, value: bytes, headers: Sequence[tuple[str, bytes]]) -> Record:
    return Record(topic="rotations", partition=0, offset=offset, key=b"k", value=value, headers=headers)


@pytest.mark.asyncio
async def test_the_pipeline_counts_consumed_folded_and_dead_lettered_events() -> None:
    group = f"metrics-{uuid.uuid4().hex[:8]}"

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[_Unit]:
        yield _Unit()

    async def handle(unit: _Unit, envelope: Envelope[Any]) -> None:
        return None

    added = MemberAdded(rotation_id=str(uuid.uuid4()), email="a@example.com", name="A", time_zone="UTC")
    encoded = registry.encode(Envelope.new(added, producer="test"))
    good = _record(1, encoded.value, list((k, v.encode()) for k, v in encoded.headers.items()))
    poison = _record(2, b"not json", [("event-type", b"MemberAdded")])
    dead_letters = _DeadLetters()
    consumer = EventConsumer(group=group, handles=(MemberAdded,), unit_of_work=unit_of_work, handle=handle)
    pipeline = ConsumerPipeline(consumer, dead_letters, ConsumerOptions())  # type: ignore[arg-type]

    await pipeline.process([good, poison, good])  # the redelivered copy is not folded twice

    assert _value("oncall_events_consumed_total", consumer_group=group, topic="rotations") == 3
    assert _value("oncall_events_folded_total", consumer_group=group, event_type="MemberAdded") == 1
    assert _value("oncall_events_dead_lettered_total", consumer_group=group, topic="rotations") == 1
    assert len(dead_letters.letters) == 1


@pytest.mark.asyncio
async def test_the_pagerduty_client_counts_requests_429s_and_the_keys_remaining_budget() -> None:
    api_key = f"secret-{uuid.uuid4().hex}"
    answers = iter([429, 200])

    def pagerduty(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        headers = {"ratelimit-limit": "960", "ratelimit-remaining": "0" if status == 429 else "955"}
        if status == 429:
            headers["ratelimit-reset"] = "0"
        return httpx.Response(status, json={"users": []}, headers=headers)

    async def no_sleep(seconds: float) -> None:
        return None

    client = PagerDutyClient(
        api_key,
        base_url="http://pagerduty",
        transport=httpx.MockTransport(pagerduty),
        budget=RequestBudget(sleep=no_sleep),
        retry=RetryPolicy(sleep=no_sleep),
    )
    route = {"method": "GET", "route": "/users/{id}"}
    before_429 = _value("oncall_pagerduty_requests_total", **route, status="429")
    before_200 = _value("oncall_pagerduty_requests_total", **route, status="200")

    await client.get("/users/PABC123")
    await client.aclose()

    fingerprint = key_fingerprint(api_key)
    assert _value("oncall_pagerduty_requests_total", **route, status="429") == before_429 + 1
    assert _value("oncall_pagerduty_requests_total", **route, status="200") == before_200 + 1
    assert _value("oncall_pagerduty_rate_limited_total", key=fingerprint) == 1
    assert _value("oncall_pagerduty_ratelimit_remaining_requests", key=fingerprint) == 955
    assert _value("oncall_pagerduty_ratelimit_limit_requests", key=fingerprint) == 960
    exposition = (await _get(HttpMetrics(PlainTextResponse("")), METRICS_PATH)).text
    assert fingerprint in exposition
    assert api_key not in exposition


def test_garbage_collector_pauses_are_timed_by_generation() -> None:
    observe_gc_pauses()
    observe_gc_pauses()  # once per process, however often it is called
    before = _value("oncall_gc_pause_seconds_count", generation="2")
    gc.collect()
    assert _value("oncall_gc_pause_seconds_count", generation="2") == before + 1
    assert _value("oncall_gc_pause_seconds_sum", generation="2") > 0
