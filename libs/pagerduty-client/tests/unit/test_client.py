from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from oncall_pagerduty import (
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PagerDutyClient,
    PagerDutyError,
    PaymentRequiredError,
    RateLimitedError,
    RequestBudget,
    RetryPolicy,
    ServerError,
    TransportError,
)

API_KEY = "u+Sup3rSecretKey"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Answers requests from a script of responses (the last one repeats) and records them."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def _no_wait(seconds: float) -> None:
    """The budget's sleep in these tests: retry delays are what they assert."""


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _client(recorder: Handler, sleeps: Sleeps, **kwargs: object) -> PagerDutyClient:
    retry = kwargs.pop("retry", None) or RetryPolicy(sleep=sleeps, jitter=lambda: 1.0)
    return PagerDutyClient(
        API_KEY,
        transport=httpx.MockTransport(recorder),
        budget=RequestBudget(960, sleep=_no_wait),
        retry=retry,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def _error(status: int, message: str = "x", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message, "code": 2000}}, headers=headers)


OK = httpx.Response(200, json={"user": {"id": "P1"}})


async def test_documented_headers_are_sent(sleeps: Sleeps) -> None:
    recorder = Recorder(OK)
    async with _client(recorder, sleeps, from_email="admin@example.com") as client:
        await client.post("/users", {"user": {"name": "Ada"}})

    sent = recorder.requests[0]
    assert sent.headers["Authorization"] == f"Token token={API_KEY}"
    assert sent.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["From"] == "admin@example.com"
    assert str(sent.url) == "https://api.pagerduty.com/users"


async def test_a_per_call_from_overrides_the_default(sleeps: Sleeps) -> None:
    recorder = Recorder(OK)
    async with _client(recorder, sleeps, from_email="admin@example.com") as client:
        await client.post("/users", {}, from_email="other@example.com")

    assert recorder.requests[0].headers["From"] == "other@example.com"


@pytest.mark.parametrize(
    ("kwargs", "url"),
    [
        ({"region": "eu"}, "https://api.eu.pagerduty.com/users?query=ada"),
        ({"region": "us"}, "https://api.pagerduty.com/users?query=ada"),
        ({"base_url": "http://127.0.0.1:9999"}, "http://127.0.0.1:9999/users?query=ada"),
    ],
)
async def test_the_base_url_follows_the_region_unless_given(
    sleeps: Sleeps, kwargs: dict[str, object], url: str
) -> None:
    recorder = Recorder(httpx.Response(200, json={"users": []}))
    async with _client(recorder, sleeps, **kwargs) as client:
        assert await client.get("/users", {"query": "ada"}) == {"users": []}

    assert str(recorder.requests[0].url) == url


async def test_server_errors_are_retried_with_growing_backoff(sleeps: Sleeps) -> None:
    recorder = Recorder(_error(500), _error(502), _error(503), OK)
    async with _client(recorder, sleeps) as client:
        body = await client.get("/users/P1")

    assert body == {"user": {"id": "P1"}}
    assert len(recorder.requests) == 4
    assert client.requests_sent == 4
    assert sleeps.delays == [0.5, 1.0, 2.0]


async def test_full_jitter_draws_each_delay_below_the_exponential_ceiling(sleeps: Sleeps) -> None:
    draws = iter([0.25, 0.5])
    recorder = Recorder(_error(500), _error(500), OK)
    policy = RetryPolicy(base_delay=1.0, sleep=sleeps, jitter=lambda: next(draws))
    async with _client(recorder, sleeps, retry=policy) as client:
        await client.get("/users/P1")

    assert sleeps.delays == [0.25, 1.0]


async def test_a_429_waits_for_the_rate_limit_reset(sleeps: Sleeps) -> None:
    recorder = Recorder(_error(429, "Rate Limit Exceeded", {"ratelimit-reset": "7"}), OK)
    async with _client(recorder, sleeps) as client:
        await client.get("/users/P1")

    assert sleeps.delays == [7.5]
    assert len(recorder.requests) == 2


async def test_a_429_without_headers_backs_off_exponentially(sleeps: Sleeps) -> None:
    recorder = Recorder(_error(429), _error(429), OK)
    async with _client(recorder, sleeps) as client:
        await client.get("/users/P1")

    assert sleeps.delays == [0.5, 1.0]


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow")],
)
async def test_timeouts_and_connection_errors_are_retried(sleeps: Sleeps, failure: Exception) -> None:
    recorder = Recorder(failure, OK)
    async with _client(recorder, sleeps) as client:
        assert await client.get("/users/P1") == {"user": {"id": "P1"}}

    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    "failure",
    [_error(500), _error(408), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped")],
    ids=["500", "408", "read-timeout", "dropped-answer"],
)
async def test_an_at_most_once_post_is_not_repeated_after_a_failure_it_may_have_survived(
    sleeps: Sleeps, failure: httpx.Response | Exception
) -> None:
    recorder = Recorder(failure, OK)
    async with _client(recorder, sleeps) as client:
        with pytest.raises(PagerDutyError) as raised:
            await client.post("/schedules", {"schedule": {}}, at_most_once=True)

    assert raised.value.maybe_applied
    assert raised.value.retryable  # the caller may try again once it knows what PagerDuty holds
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [_error(429), httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")],
    ids=["429", "refused", "connect-timeout"],
)
async def test_an_at_most_once_post_is_retried_after_a_failure_pagerduty_never_acted_on(
    sleeps: Sleeps, failure: httpx.Response | Exception
) -> None:
    recorder = Recorder(failure, OK)
    async with _client(recorder, sleeps) as client:
        assert await client.post("/schedules", {"schedule": {}}, at_most_once=True) == {"user": {"id": "P1"}}

    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, InvalidInputError),
        (401, AuthenticationError),
        (402, PaymentRequiredError),
        (403, ForbiddenError),
        (404, NotFoundError),
    ],
)
async def test_client_errors_are_never_retried(
    sleeps: Sleeps, status: int, error_class: type[Exception]
) -> None:
    recorder = Recorder(_error(status), OK)
    async with _client(recorder, sleeps) as client:
        with pytest.raises(error_class):
            await client.post("/users", {"user": {}})

    assert len(recorder.requests) == 1
    assert sleeps.delays == []


async def test_the_last_error_is_raised_after_max_attempts(sleeps: Sleeps) -> None:
    recorder = Recorder(_error(503))
    policy = RetryPolicy(max_attempts=3, sleep=sleeps, jitter=lambda: 1.0)
    async with _client(recorder, sleeps, retry=policy) as client:
        with pytest.raises(ServerError) as raised:
            await client.get("/users/P1")

    assert raised.value.status == 503
    assert len(recorder.requests) == 3


async def test_retrying_stops_before_max_elapsed_would_be_passed(sleeps: Sleeps) -> None:
    recorder = Recorder(_error(429, headers={"ratelimit-reset": "50"}), OK)
    policy = RetryPolicy(max_elapsed=30.0, sleep=sleeps, jitter=lambda: 0.0)
    async with _client(recorder, sleeps, retry=policy) as client:
        with pytest.raises(RateLimitedError):
            await client.get("/users/P1")

    assert len(recorder.requests) == 1


async def test_a_transport_failure_that_persists_becomes_a_transport_error(sleeps: Sleeps) -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    async with _client(recorder, sleeps, retry=RetryPolicy.never()) as client:
        with pytest.raises(TransportError) as raised:
            await client.get("/users")

    assert raised.value.retryable is True
    assert raised.value.status == 0


async def test_a_429_with_reset_pauses_the_shared_budget(sleeps: Sleeps) -> None:
    budget = RequestBudget(960)
    recorder = Recorder(_error(429, headers={"ratelimit-reset": "20"}))
    client = PagerDutyClient(
        API_KEY, transport=httpx.MockTransport(recorder), budget=budget, retry=RetryPolicy.never()
    )
    async with client:
        with pytest.raises(RateLimitedError):
            await client.get("/users")

    assert budget.available() == 0


async def test_paginate_follows_offsets_until_more_is_false(sleeps: Sleeps) -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        assert request.url.params["limit"] == "100"
        assert request.url.params["query"] == "ada"
        users = [{"id": f"P{offset + i}"} for i in range(100 if offset < 200 else 5)]
        return httpx.Response(200, json={"users": users, "more": offset < 200, "offset": offset})

    async with _client(pages, sleeps) as client:
        ids = [user["id"] async for user in client.paginate("/users", "users", {"query": "ada"})]

    assert len(ids) == 205
    assert ids[0] == "P0"
    assert ids[-1] == "P204"
    assert client.requests_sent == 3


async def test_delete_answering_204_returns_an_empty_object(sleeps: Sleeps) -> None:
    async with _client(Recorder(httpx.Response(204)), sleeps) as client:
        assert await client.delete("/schedules/P1/overrides/Q1") == {}


async def test_post_list_returns_a_bare_array(sleeps: Sleeps) -> None:
    answer = httpx.Response(201, json=[{"status": 201, "override": {"id": "Q1"}}])
    async with _client(Recorder(answer), sleeps) as client:
        assert await client.post_list("/schedules/P1/overrides", {"overrides": []}) == [
            {"status": 201, "override": {"id": "Q1"}}
        ]


@pytest.fixture
def exporter() -> Iterator[tuple[InMemorySpanExporter, TracerProvider]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter, provider
    provider.shutdown()


async def test_each_attempt_is_a_client_span_without_the_key(
    sleeps: Sleeps, exporter: tuple[InMemorySpanExporter, TracerProvider]
) -> None:
    spans, provider = exporter
    recorder = Recorder(_error(500), OK)
    async with _client(recorder, sleeps, account="us:acme", tracer_provider=provider) as client:
        await client.get("/users/PABC123")

    finished = spans.get_finished_spans()
    assert [span.name for span in finished] == ["GET /users/{id}", "GET /users/{id}"]
    first, second = finished
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.attributes["http.response.status_code"] == 500
    assert first.attributes["error.type"] == "500"
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["url.template"] == "/users/{id}"
    assert second.attributes["pagerduty.account"] == "us:acme"
    assert second.attributes["http.request.method"] == "GET"
    for span in finished:
        assert API_KEY not in repr(dict(span.attributes or {}))
        assert API_KEY not in str(span.status.description)


async def test_log_lines_about_retries_never_contain_the_key(
    sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(_error(500, message=f"echo {API_KEY[:4]}"), httpx.ConnectError("refused"), OK)
    with caplog.at_level(logging.DEBUG):
        async with _client(recorder, sleeps) as client:
            await client.get("/users/P1")

    retries = [record.getMessage() for record in caplog.records if "retry" in record.getMessage()]
    assert len(retries) == 2
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
    assert all("[account=key:" in line for line in retries)


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="api_key"):
        PagerDutyClient("")
