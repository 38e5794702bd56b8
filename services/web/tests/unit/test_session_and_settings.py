from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from oncall_web.oidc import pkce_challenge
from oncall_web.session import Session, SessionCodec
from oncall_web.settings import WebSettings


def test_a_session_survives_the_cookie_and_a_tampered_one_reads_empty() -> None:
    codec = SessionCodec("s" * 40, max_age_seconds=60)
    session = Session()
    session.sign_in("ana@example.com", "token-1")
    cookie = codec.dumps(session)
    assert "ana@example.com" not in cookie, "the cookie is encrypted"
    assert "token-1" not in cookie
    again = codec.loads(cookie)
    assert (again.email, again.token) == ("ana@example.com", "token-1")
    assert again.csrf_matches(session.csrf_token)
    assert not again.csrf_matches("forged")
    assert codec.loads(cookie[:-4] + "AAAA").email is None
    assert SessionCodec("t" * 40, 60).loads(cookie).email is None, "another secret cannot read it"


def test_signing_in_replaces_the_anonymous_csrf_token() -> None:
    session = Session()
    anonymous = session.csrf_token
    session.sign_in("ana@example.com", "token")
    assert not session.csrf_matches(anonymous)


def test_production_needs_oidc_and_a_session_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="SESSION_SECRET"):
        WebSettings()
    monkeypatch.setenv("SESSION_SECRET", "x" * 40)
    with pytest.raises(ValidationError, match="OIDC_ISSUER"):
        WebSettings()
    monkeypatch.setenv("OIDC_ISSUER", "https://login.example.com")
    monkeypatch.setenv("OIDC_CLIENT_ID", "oncall")
    settings = WebSettings()
    assert not settings.development_sign_in
    assert settings.secure_cookies


def test_pkce_challenge_is_s256_without_padding() -> None:
    challenge = pkce_challenge("a" * 64)
    assert len(challenge) == 43
    assert re.fullmatch(r"[A-Za-z0-9_-]+", challenge)
    assert challenge != pkce_challenge("b" * 64)
