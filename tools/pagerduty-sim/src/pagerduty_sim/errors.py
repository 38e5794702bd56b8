"""PagerDuty error responses as exceptions: `{"error": {"message", "code", "errors"}}`."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error PagerDuty would answer with `status` and the documented body."""

    def __init__(self, status: int, code: int, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            error["errors"] = self.errors
        return {"error": error}


def invalid_input(*errors: str) -> ApiError:
    return ApiError(400, 2001, "Invalid Input Provided", list(errors))


def invalid_schedule(*errors: str) -> ApiError:
    return ApiError(400, 3001, "Invalid Schedule", list(errors))


def not_found(what: str = "Not Found") -> ApiError:
    return ApiError(404, 2100, what, [])


def schedule_not_found() -> ApiError:
    return ApiError(404, 3004, "Schedule Not Found", [])


def override_not_found() -> ApiError:
    return ApiError(404, 4004, "Override Not Found", [])


def authentication_failed() -> ApiError:
    return ApiError(401, 2006, "Authentication failed", None)


def access_denied(reason: str = "Access Denied") -> ApiError:
    return ApiError(403, 2010, reason, None)


def rate_limited() -> ApiError:
    return ApiError(429, 2020, "Rate Limit Exceeded", None)
