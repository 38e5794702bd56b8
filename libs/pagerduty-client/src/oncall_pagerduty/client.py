"""An async PagerDuty REST API v2 client: headers, error parsing, retries and a per-key budget."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import Any, Literal, Self

import httpx
from opentelemetry import trace

from oncall_pagerduty.budget import RequestBudget, key_fingerprint, process_budgets
from oncall_pagerduty.errors import (
    PagerDutyError,
    error_from_response,
    error_from_transport,
    rate_limit_limit,
    rate_limit_remaining,
    rate_limit_reset,
)
from oncall_pagerduty.retry import RetryPolicy
from oncall_pagerduty.routes import route_template
from oncall_platform import metrics

Region = Literal["us", "eu"]
Params = Mapping[str, Any]

BASE_URLS: dict[Region, str] = {"us": "https://api.pagerduty.com", "eu": "https://api.eu.pagerduty.com"}
ACCEPT = "application/vnd.pagerduty+json;version=2"
PAGE_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000  # PagerDuty answers 400 beyond this

logger = logging.getLogger(__name__)


class PagerDutyClient:
    """One PagerDuty API key's connection pool, with retries and a shared request budget.

    Every call waits for the key's `RequestBudget`, sends the documented headers, raises a
    `PagerDutyError` subclass for non-2xx answers, and retries what `RetryPolicy` calls retryable
    (429, 408, 5xx, timeouts, connection errors; never 400-404). Note that a retried POST may have
    taken effect before it failed; callers that create things must tolerate that (e.g. adopt the user
    on "Email has already been taken"), or pass `at_most_once` and find out themselves. The key
    appears only in the Authorization header: spans and log lines carry `account` (default: the
    key's fingerprint) instead.
    """

    def __init__(
        self,
        api_key: str,
        *,
        region: Region = "us",
        base_url: str | None = None,
        from_email: str | None = None,
        budget: RequestBudget | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        account: str | None = None,
        tracer_provider: trace.TracerProvider | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key must not be empty")
        if region not in BASE_URLS:
            raise ValueError(f"region must be one of {sorted(BASE_URLS)}, got {region!r}")
        self.account = account or f"key:{key_fingerprint(api_key)}"
        self._key_label = key_fingerprint(api_key)  # metrics label the key by its fingerprint only
        self.budget = budget if budget is not None else process_budgets().for_key(api_key)
        self.retry = retry if retry is not None else RetryPolicy()
        self.requests_sent = 0
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._http = httpx.AsyncClient(
            base_url=base_url or BASE_URLS[region],
            headers=_default_headers(api_key, from_email),
            timeout=timeout,
            transport=transport,
        )

    @property
    def base_url(self) -> str:
        """The API root calls are sent to."""
        return str(self._http.base_url)

    async def get(self, path: str, params: Params | None = None) -> dict[str, Any]:
        """GET `path` and return the decoded JSON object."""
        return _object(await self.request("GET", path, params=params))

    async def post(
        self,
        path: str,
        json: Any = None,
        *,
        params: Params | None = None,
        from_email: str | None = None,
        at_most_once: bool = False,
    ) -> dict[str, Any]:
        """POST `json` to `path` and return the decoded JSON object (`at_most_once`: see `request`)."""
        return _object(
            await self.request(
                "POST", path, json=json, params=params, from_email=from_email, at_most_once=at_most_once
            )
        )

    async def post_list(self, path: str, json: Any = None) -> list[Any]:
        """POST for endpoints that answer a bare JSON array (e.g. creating overrides)."""
        body = await self.request("POST", path, json=json)
        if not isinstance(body, list):
            raise PagerDutyError(0, None, f"expected a JSON array from POST {route_template(path)}")
        return body

    async def put(self, path: str, json: Any = None, *, params: Params | None = None) -> dict[str, Any]:
        """PUT `json` to `path` and return the decoded JSON object."""
        return _object(await self.request("PUT", path, json=json, params=params))

    async def delete(self, path: str, params: Params | None = None) -> dict[str, Any]:
        """DELETE `path`; returns the decoded body, `{}` for 204."""
        return _object(await self.request("DELETE", path, params=params))

    async def paginate(
        self, path: str, key: str, params: Params | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Yield every item of the `key` array across offset pages (100 at a time) until `more` is false."""
        offset = 0
        while True:
            page = await self.get(path, {**(params or {}), "limit": PAGE_LIMIT, "offset": offset})
            items = page.get(key, [])
            for item in items:
                yield item
            offset += len(items)
            if not page.get("more") or not items or offset + PAGE_LIMIT > MAX_OFFSET_PLUS_LIMIT:
                return

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        from_email: str | None = None,
        at_most_once: bool = False,
    ) -> Any:
        """Send one logical request (retrying per the policy) and return the decoded JSON (None if empty).

        `at_most_once`: a failure after which PagerDuty may have applied the request (`maybe_applied`)
        is raised instead of retried, so a create is never sent twice; the caller finds out what
        PagerDuty holds before trying again."""
        request = self._http.build_request(method, path, params=params, json=json)
        if from_email:
            request.headers["From"] = from_email
        started = time.monotonic()
        attempt = 1
        while True:
            try:
                return await self._attempt(request, path)
            except PagerDutyError as error:
                delay = self.retry.delay_before_retry(attempt, error, time.monotonic() - started)
                if delay is None or (at_most_once and error.maybe_applied):
                    raise
                logger.warning(
                    "PagerDuty %s %s failed (%s), retry %d in %.2fs [account=%s]",
                    method,
                    route_template(path),
                    error.describe(),
                    attempt,
                    delay,
                    self.account,
                )
                await self.retry.sleep(delay)
                attempt += 1

    async def _attempt(self, request: httpx.Request, path: str) -> Any:
        await self.budget.acquire()
        route = route_template(path)
        with self._tracer.start_as_current_span(
            f"{request.method} {route}",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "http.request.method": request.method,
                "url.template": route,
                "server.address": request.url.host,
                "pagerduty.account": self.account,
            },
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            self.requests_sent += 1
            sent_at = time.perf_counter()
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                metrics.PAGERDUTY_REQUESTS.labels(request.method, route, "transport_error").inc()
                transport_error = error_from_transport(exc)
                _mark_failed(span, type(exc).__name__, transport_error)
                raise transport_error from exc
            self._count(request.method, route, response, time.perf_counter() - sent_at)
            span.set_attribute("http.response.status_code", response.status_code)
            self._observe_rate_limit(response)
            if response.is_success:
                return response.json() if response.content else None
            error = error_from_response(response)
            _mark_failed(span, str(response.status_code), error)
            raise error

    def _count(self, method: str, route: str, response: httpx.Response, seconds: float) -> None:
        metrics.PAGERDUTY_REQUESTS.labels(method, route, str(response.status_code)).inc()
        metrics.PAGERDUTY_REQUEST_DURATION.labels(method).observe(seconds)
        if response.status_code == 429:
            metrics.PAGERDUTY_RATE_LIMITED.labels(self._key_label).inc()
        remaining = rate_limit_remaining(response.headers)
        if remaining is not None:
            metrics.PAGERDUTY_RATELIMIT_REMAINING.labels(self._key_label).set(remaining)
        limit = rate_limit_limit(response.headers)
        if limit is not None:
            metrics.PAGERDUTY_RATELIMIT_LIMIT.labels(self._key_label).set(limit)

    def _observe_rate_limit(self, response: httpx.Response) -> None:
        reset = rate_limit_reset(response.headers)
        if response.status_code == 429 and reset is not None:
            self.budget.pause(reset)
        else:
            self.budget.observe(rate_limit_remaining(response.headers), reset)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _default_headers(api_key: str, from_email: str | None) -> dict[str, str]:
    headers = {
        "Authorization": f"Token token={api_key}",
        "Accept": ACCEPT,
        "Content-Type": "application/json",
    }
    if from_email:
        headers["From"] = from_email
    return headers


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise PagerDutyError(0, None, f"expected a JSON object, got {type(body).__name__}")
    return body


def _mark_failed(span: trace.Span, error_type: str, error: PagerDutyError) -> None:
    span.set_attribute("error.type", error_type)
    span.set_status(trace.StatusCode.ERROR, error.describe())
