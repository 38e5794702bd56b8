from __future__ import annotations

import httpx
import pytest

from oncall_pagerduty.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PagerDutyError,
    PaymentRequiredError,
    RateLimitedError,
    ServerError,
    error_from_response,
)


def _response(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_errors_as_a_list_are_kept_in_order() -> None:
    body = {
        "error": {
            "message": "Invalid Input Provided",
            "code": 2001,
            "errors": ["Email has already been taken"],
        }
    }

    error = error_from_response(_response(400, body))

    assert isinstance(error, InvalidInputError)
    assert (error.status, error.code, error.message) == (400, 2001, "Invalid Input Provided")
    assert error.errors == ["Email has already been taken"]
    assert error.retryable is False
    assert "Email has already been taken" in str(error)


def test_errors_as_an_object_keyed_by_field_are_flattened() -> None:
    body = {
        "error": {
            "message": "Invalid",
            "code": 2001,
            "errors": {"email": ["is invalid", "is too short"], "name": "blank"},
        }
    }

    error = error_from_response(_response(400, body))

    assert error.errors == ["email: is invalid", "email: is too short", "name: blank"]


def test_error_as_a_plain_string_becomes_the_message() -> None:
    error = error_from_response(_response(400, {"error": "Requires a user-level API key"}))

    assert error.message == "Requires a user-level API key"
    assert error.code is None
    assert error.errors == []


def test_a_body_that_is_not_json_still_gives_a_readable_error() -> None:
    error = error_from_response(httpx.Response(502, text="<html>bad gateway</html>"))

    assert isinstance(error, ServerError)
    assert error.retryable is True
    assert "bad gateway" in error.message


@pytest.mark.parametrize(
    ("status", "error_class", "retryable"),
    [
        (400, InvalidInputError, False),
        (401, AuthenticationError, False),
        (402, PaymentRequiredError, False),
        (403, ForbiddenError, False),
        (404, NotFoundError, False),
        (408, ServerError, True),
        (409, PagerDutyError, False),
        (429, RateLimitedError, True),
        (500, ServerError, True),
        (503, ServerError, True),
    ],
)
def test_status_decides_the_error_class_and_retryability(
    status: int, error_class: type[PagerDutyError], retryable: bool
) -> None:
    error = error_from_response(_response(status, {"error": {"message": "x", "code": 1}}))

    assert type(error) is error_class
    assert error.retryable is retryable


def test_rate_limit_reset_is_read_from_the_headers() -> None:
    body = {"error": {"message": "Rate Limit Exceeded", "code": 2020}}

    error = error_from_response(_response(429, body, {"ratelimit-reset": "12"}))

    assert error.rate_limit_reset == 12.0
    assert error.code == 2020
