"""Browser sessions in an encrypted, authenticated cookie (Fernet), and their CSRF token.

The cookie holds the signed-in user's e-mail and the bearer token the UI sends to the API (in
production the identity provider's ID token), so it is encrypted, not only signed; it is HttpOnly,
SameSite=Lax, and Secure outside development. Every session, signed in or not, carries a random CSRF
token that every form sends back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

COOKIE_NAME = "oncall_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class Session:
    data: dict[str, Any] = field(default_factory=dict)
    modified: bool = False

    @property
    def csrf_token(self) -> str:
        token = self.data.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            self.set("csrf", token)
        return token

    def csrf_matches(self, candidate: str | None) -> bool:
        expected = self.data.get("csrf")
        return bool(candidate and isinstance(expected, str) and hmac.compare_digest(candidate, expected))

    @property
    def email(self) -> str | None:
        value = self.data.get("email")
        return value if isinstance(value, str) else None

    @property
    def token(self) -> str | None:
        value = self.data.get("token")
        return value if isinstance(value, str) else None

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.modified = True

    def pop(self, key: str) -> Any:
        self.modified = True
        return self.data.pop(key, None)

    def sign_in(self, email: str, token: str) -> None:
        """A fresh session (and CSRF token) for the signed-in user: nothing of the anonymous one stays."""
        self.data = {"email": email, "token": token, "csrf": secrets.token_urlsafe(32)}
        self.modified = True

    def sign_out(self) -> None:
        self.data = {}
        self.modified = True


class SessionCodec:
    """Turns a session into a cookie value and back; a tampered, foreign or expired cookie reads empty."""

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        self._fernet = Fernet(key)
        self.max_age_seconds = max_age_seconds

    def dumps(self, session: Session) -> str:
        return self._fernet.encrypt(json.dumps(session.data, separators=(",", ":")).encode()).decode()

    def loads(self, cookie: str | None) -> Session:
        if not cookie:
            return Session()
        try:
            raw = self._fernet.decrypt(cookie.encode(), ttl=self.max_age_seconds)
            data = json.loads(raw)
        except (InvalidToken, ValueError):
            return Session()
        return Session(data if isinstance(data, dict) else {})
