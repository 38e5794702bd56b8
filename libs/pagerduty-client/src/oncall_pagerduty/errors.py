"""Errors raised by the PagerDuty client, parsed from PagerDuty's error bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx

_RETRYABLE_STATUSES = frozenset({408, 429})


class PagerDutyError(Exception):
    """A failed PagerDuty call.

    `status` is the HTTP status (0 when no response arrived), `code` PagerDuty's numeric error code
    (None when absent), `errors` the detail messages (an `errors` object keyed by field is flattened
    to "field: message"), `retryable` whether repeating the unchanged request may succeed, and
    `maybe_applied` whether PagerDuty may have carried the request out all the same (a 5xx, or an
    answer lost after the request was sent): repeating a create then risks a second copy.
    """

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        errors: list[str] | None = None,
        *,
        retryable: bool = False,
        maybe_applied: bool = False,
        rate_limit_reset: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.errors = list(errors or [])
        self.retryable = retryable
        self.maybe_applied = maybe_applied
        self.rate_limit_reset = rate_limit_reset
        super().__init__(self.describe())

    def describe(self) -> str:
        """A one-line human-readable reason: status, code, message and details."""
        head = f"PagerDuty {self.status or 'transport'} error"
        if self.code is not None:
            head += f" {self.code}"
        details = f" ({'; '.join(self.errors)})" if self.errors else ""
        return f"{head}: {self.message}{details}"


class InvalidInputError(PagerDutyError):
    """400: the request is invalid (e.g. "Email has already been taken"); do not retry it unchanged."""


class AuthenticationError(PagerDutyError):
    """401: the API key is invalid or revoked."""


class PaymentRequiredError(PagerDutyError):
    """402: the account lacks the ability or licence the request needs."""


class ForbiddenError(PagerDutyError):
    """403: the key may not do this (e.g. a read-only key writing)."""


class NotFoundError(PagerDutyError):
    """404: the resource does not exist."""


class RateLimitedError(PagerDutyError):
    """429: the key's request budget is exhausted for now."""


class ServerError(PagerDutyError):
    """5xx or 408: PagerDuty failed transiently."""


class TransportError(PagerDutyError):
    """No usable response: timeout or connection failure."""


_BY_STATUS: dict[int, type[PagerDutyError]] = {
    400: InvalidInputError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitedError,
}


def error_from_response(response: httpx.Response) -> PagerDutyError:
    """Build the matching PagerDutyError subclass from a non-2xx response."""
    status = response.status_code
    code, message, errors = _parse_error_body(response)
    retryable = status in _RETRYABLE_STATUSES or status >= 500
    error_class = _BY_STATUS.get(status, ServerError if retryable else PagerDutyError)
    return error_class(
        status,
        code,
        message or response.reason_phrase or "request failed",
        errors,
        retryable=retryable,
        maybe_applied=status == 408 or status >= 500,
        rate_limit_reset=rate_limit_reset(response.headers),
    )


# Failures before the request left: PagerDuty cannot have seen it.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def error_from_transport(exc: httpx.TransportError) -> TransportError:
    """Wrap a timeout or connection failure as a retryable TransportError."""
    return TransportError(
        0,
        None,
        f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
        retryable=True,
        maybe_applied=not isinstance(exc, _NEVER_SENT),
    )


def rate_limit_reset(headers: httpx.Headers) -> float | None:
    """Seconds until the rate-limit window resets, from `ratelimit-reset`, when present and valid."""
    return _non_negative_float(headers.get("ratelimit-reset"))


def rate_limit_remaining(headers: httpx.Headers) -> int | None:
    """Requests left in the current window, from `ratelimit-remaining`, when present and valid."""
    value = _non_negative_float(headers.get("ratelimit-remaining"))
    return None if value is None else int(value)


def rate_limit_limit(headers: httpx.Headers) -> int | None:
    """Requests a window allows the key, from `ratelimit-limit`, when present and valid."""
    value = _non_negative_float(headers.get("ratelimit-limit"))
    return None if value is None else int(value)


def _non_negative_float(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def _parse_error_body(response: httpx.Response) -> tuple[int | None, str, list[str]]:
    try:
        body: Any = json.loads(response.content) if response.content else None
    except ValueError:
        return None, response.text[:200], []
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # seen: e.g. GET /users/me with an account-level key
        return None, error, []
    if not isinstance(error, dict):
        return None, "", []
    code = error.get("code")
    message = error.get("message")
    return (
        code if isinstance(code, int) else None,
        message if isinstance(message, str) else "",
        _flatten_errors(error.get("errors")),
    )


def _flatten_errors(raw: Any) -> list[str]:
    """Accept both documented (list) and seen (object keyed by field) shapes of `errors`."""
    if isinstance(raw, list):
        return [str(item) for item in raw]
    if isinstance(raw, dict):
        flat: list[str] = []
        for field, messages in raw.items():
            items = messages if isinstance(messages, list) else [messages]
            flat.extend(f"{field}: {message}" for message in items)
        return flat
    if isinstance(raw, str):
        return [raw]
    return []
