"""What every page needs: the signed-in caller, CSRF-checked forms, rendering with the common context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from oncall_web.api import ApiError, RotationApi
from oncall_web.session import CSRF_FIELD, CSRF_HEADER, Session


class NotSignedIn(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session


@dataclass(frozen=True)
class Caller:
    email: str
    api: RotationApi

    def is_admin(self, rotation: dict[str, Any]) -> bool:
        return self.email in rotation.get("admins", [])


def _caller(request: Request) -> Caller:
    session = session_of(request)
    if session.email is None or session.token is None:
        raise NotSignedIn(request.url.path)
    http: httpx.AsyncClient = request.app.state.http
    return Caller(session.email, RotationApi(http, session.token))


async def _checked_form(request: Request) -> FormData:
    """The submitted form, once its CSRF token matches the session's; 403 otherwise."""
    form = await request.form()
    token = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not session_of(request).csrf_matches(token if isinstance(token, str) else None):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "the form expired or came from elsewhere: reload and retry"
        )
    return form


SignedInCaller = Annotated[Caller, Depends(_caller)]
CheckedForm = Annotated[FormData, Depends(_checked_form)]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    session = session_of(request)
    common = {"me": session.email, "csrf_token": session.csrf_token, "csrf_field": CSRF_FIELD}
    return templates.TemplateResponse(request, template, {**common, **context}, status_code=status_code)


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


def rotation_path(rotation_id: str, *rest: str) -> str:
    return "/".join(["/rotations", quote(rotation_id, safe=""), *rest])


def form_error(error: ApiError) -> dict[str, str]:
    """Messages by form field; anything not about one field goes under 'form'."""
    return error.field_errors or {"form": error.message}
