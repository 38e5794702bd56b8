"""Sign-in and sign-out: an e-mail-only form in development, OpenID Connect (code + PKCE) otherwise."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from oncall_platform.tokens import mint_token
from oncall_web.oidc import OidcClient, SignInFailed
from oncall_web.settings import WebSettings
from oncall_web.views.common import CheckedForm, redirect, render, session_of, text

router = APIRouter()


def _safe_next(path: str | None) -> str:
    """Only a path of this site (never another origin) after signing in."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


@router.get("/signin")
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    settings: WebSettings = request.app.state.settings
    oidc: OidcClient | None = request.app.state.oidc
    if not settings.development_sign_in:
        if oidc is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no identity provider is configured")
        return redirect(await oidc.authorization_url(session_of(request), _safe_next(next)))
    return render(request, "signin.html", next=_safe_next(next), errors={}, email="")


@router.post("/signin")
async def sign_in(request: Request, form: CheckedForm) -> Response:
    settings: WebSettings = request.app.state.settings
    if not settings.development_sign_in:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "sign in with your organisation's account")
    email, next_path = text(form, "email").lower(), _safe_next(text(form, "next"))
    local, _, domain = email.partition("@")
    if not local or "." not in domain:
        errors = {"email": "enter an e-mail address such as ana@example.com"}
        return render(request, "signin.html", 422, next=next_path, errors=errors, email=email)
    token = mint_token(
        settings.jwt_secret.get_secret_value(), email, lifetime=timedelta(hours=settings.session_hours)
    )
    session_of(request).sign_in(email, token)
    return redirect(next_path)


@router.get("/auth/callback")
async def oidc_callback(request: Request, code: str = "", state: str = "") -> Response:
    oidc: OidcClient | None = request.app.state.oidc
    if oidc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no identity provider is configured")
    session = session_of(request)
    try:
        signed_in, next_path = await oidc.finish(session, code, state)
    except SignInFailed as error:
        return render(request, "error.html", 400, title="Sign-in failed", message=str(error))
    session.sign_in(signed_in.email, signed_in.id_token)
    return redirect(_safe_next(next_path))


@router.post("/signout")
async def sign_out(request: Request, form: CheckedForm) -> Response:
    session_of(request).sign_out()
    return redirect("/signin")
