"""The Prometheus metrics of every service, served at `/metrics` on its HTTP port.

One choice for all: `prometheus_client` and its process-wide default registry. Every metric is
declared here, once, so the names, labels and buckets are the same in every service; the consumer
pipeline, the outbox relay, the HTTP apps (`HttpMetrics`), the PagerDuty client and the services
record into them. Names follow the Prometheus conventions: an `oncall_` prefix, the unit in the name
(`_seconds`, `_records`, `_messages`, `_requests`, `_users`), counters ending in `_total`.

Labels stay bounded: routes are templates (never raw paths), PagerDuty keys appear only as their
fingerprint (`oncall_pagerduty.budget.key_fingerprint`), never the key.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

METRICS_PATH = "/metrics"

# Latencies of a request or a write: from a millisecond to a minute.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# From a change being accepted to PagerDuty holding it: debounced, so tenths of a second to minutes.
_CHANGE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)

HTTP_REQUEST_DURATION = Histogram(
    "oncall_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status code.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
EVENTS_CONSUMED = Counter(
    "oncall_events_consumed_total",
    "Kafka records fetched by a consumer group's pipeline (handled, skipped or dead-lettered).",
    ["consumer_group", "topic"],
)
EVENTS_FOLDED = Counter(
    "oncall_events_folded_total",
    "Events applied to a consumer's state for the first time (duplicates excluded).",
    ["consumer_group", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "oncall_events_dead_lettered_total",
    "Records given up on and published to the consumer group's dead-letter topic.",
    ["consumer_group", "topic"],
)
OUTBOX_PENDING = Gauge("oncall_outbox_pending_messages", "Outbox rows not yet published to Kafka.")
OUTBOX_OLDEST_PENDING_AGE = Gauge(
    "oncall_outbox_oldest_pending_age_seconds", "Age of the oldest outbox row not yet published (0: none)."
)
OUTBOX_PARKED = Gauge("oncall_outbox_parked_messages", "Outbox rows Kafka refused for good (parked).")
OUTBOX_PUBLISHED = Counter("oncall_outbox_published_total", "Outbox rows published to Kafka.")
CHANGE_TO_PAGERDUTY = Histogram(
    "oncall_change_to_pagerduty_seconds",
    "From a change being accepted (its event's occurred_at) to PagerDuty holding it.",
    ["role"],
    buckets=_CHANGE_BUCKETS,
)
SCHEDULE_SYNCS = Counter(
    "oncall_schedule_syncs_total", "Syncs of a PagerDuty schedule, by role and outcome.", ["role", "outcome"]
)
SCHEDULE_SYNC_FAILING = Gauge(
    "oncall_schedule_sync_failing",
    "1 for each schedule whose last sync failed (the series disappears once it syncs again).",
    ["target_rotation_id", "role"],
)
PAGERDUTY_REQUESTS = Counter(
    "oncall_pagerduty_requests_total",
    "PagerDuty API requests sent (each retry counts), by method, route template and status code "
    "(`transport_error` when no answer came).",
    ["method", "route", "status"],
)
PAGERDUTY_REQUEST_DURATION = Histogram(
    "oncall_pagerduty_request_duration_seconds",
    "Time PagerDuty took to answer one request (waiting for the budget excluded).",
    ["method"],
    buckets=_LATENCY_BUCKETS,
)
PAGERDUTY_RATE_LIMITED = Counter(
    "oncall_pagerduty_rate_limited_total", "PagerDuty answers 429 Too Many Requests, by key.", ["key"]
)
PAGERDUTY_RATELIMIT_REMAINING = Gauge(
    "oncall_pagerduty_ratelimit_remaining_requests",
    "Requests left in the key's current rate-limit window, as PagerDuty last said (ratelimit-remaining).",
    ["key"],
)
PAGERDUTY_RATELIMIT_LIMIT = Gauge(
    "oncall_pagerduty_ratelimit_limit_requests",
    "The key's requests per rate-limit window, as PagerDuty last said (ratelimit-limit).",
    ["key"],
)
GC_PAUSE = Histogram(
    "oncall_gc_pause_seconds",
    "Pauses of the cyclic garbage collector, by generation (every task of the process waits meanwhile).",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
PROVISIONING_BACKLOG = Gauge(
    "oncall_provisioning_backlog_users", "Members waiting to be created (or found) as PagerDuty users."
)


def observe_gc_pauses() -> None:
    """Time every collection into `oncall_gc_pause_seconds` (once per process)."""
    if _time_gc in gc.callbacks:
        return
    gc.callbacks.append(_time_gc)


_gc_started: dict[int, float] = {}


def _time_gc(phase: str, info: dict[str, int]) -> None:
    generation = info["generation"]
    if phase == "start":
        _gc_started[generation] = time.perf_counter()
    elif generation in _gc_started:
        GC_PAUSE.labels(str(generation)).observe(time.perf_counter() - _gc_started.pop(generation))


def exposition() -> tuple[bytes, str]:
    """The registry in the Prometheus text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# --- HTTP --------------------------------------------------------------------------------------------

Scope = Mapping[str, Any]
AsgiApp = Callable[[Any, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class HttpMetrics:
    """ASGI middleware: serves `/metrics`, and times every other request into
    `oncall_http_request_duration_seconds` by route template (`known_paths` for an app without a
    router; an unmatched path is `other`, so scanners cannot grow the label set)."""

    def __init__(self, app: AsgiApp, known_paths: Iterable[str] = ()) -> None:
        self.app = app
        self._known = frozenset(known_paths)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == METRICS_PATH:
            await _serve_metrics(send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started

        async def recording(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            HTTP_REQUEST_DURATION.labels(scope["method"], self._route(scope), str(status)).observe(
                time.perf_counter() - started
            )

    def _route(self, scope: Scope) -> str:
        route = scope.get("route")
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(template, str) and template:
            return template
        path = str(scope.get("path", ""))
        return path if path in self._known else "other"


async def _serve_metrics(send: Any) -> None:
    body, content_type = exposition()
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- Kafka consumer lag ------------------------------------------------------------------------------


class LagSource(Protocol):
    """What lag needs of a Kafka consumer (aiokafka's `AIOKafkaConsumer`)."""

    def assignment(self) -> Any: ...

    def highwater(self, partition: Any, /) -> int | None: ...


@dataclass
class _Group:
    consumer: LagSource
    positions: dict[Any, int] = field(default_factory=dict)  # TopicPartition -> next offset to process


class ConsumerLag(Collector):
    """`oncall_consumer_lag_records`: per consumer group and partition, the records between where the
    group will process next and the partition's end (its high watermark), computed at each scrape."""

    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}

    def processed(self, group: str, consumer: LagSource, positions: Mapping[Any, int]) -> None:
        """After a batch: `positions` maps each of its partitions to the next offset to process."""
        known = self._groups.get(group)
        if known is None or known.consumer is not consumer:
            known = self._groups[group] = _Group(consumer)
        known.positions.update(positions)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "oncall_consumer_lag_records",
            "Records between a consumer group's next offset and the partition's high watermark.",
            labels=["consumer_group", "topic", "partition"],
        )
        for group, state in self._groups.items():
            assigned = set(state.consumer.assignment())
            state.positions = {tp: offset for tp, offset in state.positions.items() if tp in assigned}
            for tp, offset in sorted(state.positions.items(), key=lambda item: (item[0][0], item[0][1])):
                highwater = state.consumer.highwater(tp)
                if highwater is not None:
                    family.add_metric([group, tp[0], str(tp[1])], max(0, highwater - offset))
        yield family

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []  # collected at scrape time only (the groups are not known when registering)


CONSUMER_LAG = ConsumerLag()
REGISTRY.register(CONSUMER_LAG)
