"""Bearer JWT authentication: HS256 with a shared secret locally, RS256 from a JWKS URL in production."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from oncall_platform.tokens import InvalidToken, JwksKeys, mint_token, verified_email

__all__ = ["CurrentUser", "InvalidToken", "TokenVerifier", "mint_token"]


class TokenVerifier(Protocol):
    async def email_of(self, token: str) -> str:
        """The caller's verified e-mail (the `email` claim); raises InvalidToken."""


def _decode(token: str, key: Any, algorithm: str, audience: str | None, issuer: str | None) -> str:
    """The token's verified e-mail; `aud` and `iss` are required whenever they are configured."""
    required = ["exp", *(["aud"] if audience is not None else []), *(["iss"] if issuer is not None else [])]
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            options={"require": required, "verify_aud": audience is not None},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    return verified_email(claims)


@dataclass(frozen=True)
class SharedSecretVerifier:
    secret: str
    audience: str | None = None
    issuer: str | None = None

    async def email_of(self, token: str) -> str:
        return _decode(token, self.secret, "HS256", self.audience, self.issuer)


class JwksVerifier:
    def __init__(
        self,
        jwks_url: str,
        audience: str | None = None,
        issuer: str | None = None,
        *,
        keys: JwksKeys | None = None,
    ) -> None:
        self._keys = keys or JwksKeys(jwks_url)
        self._audience = audience
        self._issuer = issuer

    async def email_of(self, token: str) -> str:
        signing_key = await self._keys.key_for(token)
        return _decode(token, signing_key.key, "RS256", self._audience, self._issuer)


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
