"""Bearer JWT authentication: HS256 with a shared secret locally, RS256 from a JWKS URL in production."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from oncall_contracts import limits
from oncall_platform.tokens import mint_token

__all__ = ["CurrentUser", "InvalidToken", "TokenVerifier", "mint_token"]


class InvalidToken(Exception):
    pass


class TokenVerifier(Protocol):
    async def email_of(self, token: str) -> str:
        """The caller's e-mail (the `email` claim); raises InvalidToken."""


def _email_claim(claims: dict[str, Any]) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise InvalidToken("the token has no email claim")
    if len(email) > limits.EMAIL:
        raise InvalidToken(f"the token's email claim is longer than {limits.EMAIL} characters")
    return email.strip().lower()


@dataclass(frozen=True)
class SharedSecretVerifier:
    secret: str
    audience: str | None = None
    issuer: str | None = None

    async def email_of(self, token: str) -> str:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        return _email_claim(claims)


class JwksVerifier:
    def __init__(self, jwks_url: str, audience: str | None = None, issuer: str | None = None) -> None:
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True)
        self._audience = audience
        self._issuer = issuer

    async def email_of(self, token: str) -> str:
        try:
            # PyJWKClient fetches over blocking HTTP (cached afterwards); keep it off the event loop.
            signing_key = await asyncio.to_thread(self._client.get_signing_key_from_jwt, token)
            claims = jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        return _email_claim(claims)


_bearer = HTTPBearer(auto_error=False)


async def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str:
    """The signed-in caller's e-mail; 401 without a valid bearer token."""
    unauthorized = HTTPException(
        status.HTTP_401_UNAUTHORIZED, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"}
    )
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return await verifier.email_of(credentials.credentials)
    except InvalidToken as error:
        raise unauthorized from error


CurrentUser = Annotated[str, Depends(current_user)]
