"""Maps service and domain errors to HTTP answers.

Validation errors are answered without the offending `input`: a request body may hold an API key, and
FastAPI's default 422 would echo it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from rotation_service.domain.errors import (
    DuplicateMember,
    InvalidRotation,
    NotAllowed,
    NotYours,
    RequestClosed,
    UnknownMember,
    UnknownShift,
)
from rotation_service.service_layer.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    KeyRefused,
    NotFound,
    PagerDutyUnavailable,
)


def _unprocessable(loc: Sequence[str | int], message: str, kind: str = "value_error") -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": [{"loc": list(loc), "msg": message, "type": kind}]},
    )


async def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail: list[dict[str, Any]] = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type", "value_error")}
        for e in error.errors()
    ]
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": detail})


async def _invalid(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidRotation | InvalidInput)
    return _unprocessable(["body", error.field], f"{error.field}: {error.message}")


async def _key_refused(request: Request, error: Exception) -> JSONResponse:
    """422 whose `type` names the check the key failed: pagerduty_key.key|region|subdomain|write."""
    assert isinstance(error, KeyRefused)
    return _unprocessable(
        ["body", error.field], f"{error.field}: {error.message}", f"pagerduty_key.{error.check}"
    )


async def _unknown_member(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, UnknownMember)
    return _unprocessable(["body", "email"], f"unknown member: {error}")


async def _not_allowed(request: Request, error: Exception) -> JSONResponse:
    return _unprocessable(["body"], str(error))


def _status(code: int) -> Any:
    async def handler(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse(status_code=code, content={"detail": str(error)})

    return handler


async def _database_connection_lost(request: Request, error: Exception) -> JSONResponse:
    """A pooled connection found dead (the database restarted): the pool is renewed, nothing was
    written, and the same request will succeed. Any other database error stays a 500."""
    assert isinstance(error, DBAPIError)
    if not error.connection_invalidated:
        raise error
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "the database connection was lost; nothing was changed, retry the request"},
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(InvalidRotation, _invalid)
    app.add_exception_handler(KeyRefused, _key_refused)
    app.add_exception_handler(InvalidInput, _invalid)
    app.add_exception_handler(PagerDutyUnavailable, _status(status.HTTP_503_SERVICE_UNAVAILABLE))
    app.add_exception_handler(UnknownMember, _unknown_member)
    app.add_exception_handler(NotAllowed, _not_allowed)
    app.add_exception_handler(NotFound, _status(status.HTTP_404_NOT_FOUND))
    app.add_exception_handler(UnknownShift, _status(status.HTTP_404_NOT_FOUND))
    app.add_exception_handler(Forbidden, _status(status.HTTP_403_FORBIDDEN))
    app.add_exception_handler(DuplicateMember, _status(status.HTTP_409_CONFLICT))
    app.add_exception_handler(Conflict, _status(status.HTTP_409_CONFLICT))
    app.add_exception_handler(NotYours, _status(status.HTTP_403_FORBIDDEN))
    app.add_exception_handler(RequestClosed, _status(status.HTTP_409_CONFLICT))
    app.add_exception_handler(DBAPIError, _database_connection_lost)
