"""Bearer tokens: development HS256 JWTs, the identity provider's signing keys, and the e-mail claim.

`rotation-service token EMAIL` and the web UI's development sign-in mint HS256 tokens here; in
production the web UI forwards the identity provider's ID token instead, and both the UI and the API
verify it with the keys the provider publishes (`JwksKeys`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt

from oncall_contracts import limits
from oncall_platform.clock import system_clock

# For local runs only; the services refuse it outside development.
DEVELOPMENT_JWT_SECRET = "development-only-jwt-secret-change-me-0123456789"
MIN_SECRET_LENGTH = 32
JWKS_REFETCH_SECONDS = 60.0


class InvalidToken(Exception):
    """A bearer or ID token that does not prove who the caller is."""


def mint_token(
    secret: str,
    email: str,
    lifetime: timedelta = timedelta(hours=12),
    *,
    audience: str | None = None,
    issuer: str | None = None,
) -> str:
    """A local HS256 token for `email` (its `email` and `sub` claims), valid for `lifetime`, with `aud`
    and `iss` when given (a service outside development requires both)."""
    now = system_clock()
    claims: dict[str, Any] = {"email": email, "sub": email, "iat": now, "exp": now + lifetime}
    if audience is not None:
        claims["aud"] = audience
    if issuer is not None:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, "HS256")


def verified_email(claims: dict[str, Any]) -> str:
    """The lower-cased `email` claim; refused when missing, too long, or `email_verified` is false
    (an identity provider that lets people type any address says so with that claim)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise InvalidToken("the token has no email claim")
    if len(email) > limits.EMAIL:
        raise InvalidToken(f"the token's email claim is longer than {limits.EMAIL} characters")
    if claims.get("email_verified") is False:
        raise InvalidToken("the token's e-mail address is not verified")
    return email.strip().lower()


JwksFetch = Callable[[], dict[str, Any]]


class JwksKeys:
    """The signing keys an identity provider publishes at `url`, by key id.

    A token whose `kid` is not known fetches the set again, but at most once per `refetch_seconds`
    (a flood of tokens with made-up key ids costs the provider one request a minute); a failed fetch
    counts too. The fetch is blocking HTTP, so it runs off the event loop.
    """

    def __init__(
        self,
        url: str,
        *,
        refetch_seconds: float = JWKS_REFETCH_SECONDS,
        fetch: JwksFetch | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch or jwt.PyJWKClient(url, cache_jwk_set=False).fetch_data
        self._refetch_seconds = refetch_seconds
        self._monotonic = monotonic
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, token: str) -> jwt.PyJWK:
        """The key that signed `token` (by its header's `kid`); raises InvalidToken."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no signing key (kid)")
        async with self._lock:
            if kid not in self._keys and self._may_fetch():
                await self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken(f"no signing key {kid[:64]!r} is published by the identity provider")
        return key

    def _may_fetch(self) -> bool:
        return self._fetched_at is None or self._monotonic() - self._fetched_at >= self._refetch_seconds

    async def _refresh(self) -> None:
        self._fetched_at = self._monotonic()
        try:
            data = await asyncio.to_thread(self._fetch)
            keys = jwt.PyJWKSet.from_dict(data).keys
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidToken(f"the identity provider's keys cannot be read: {error}") from error
        self._keys = {key.key_id: key for key in keys if key.key_id and key.public_key_use in (None, "sig")}
