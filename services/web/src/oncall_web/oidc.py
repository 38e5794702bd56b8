"""OpenID Connect sign-in: the authorization code flow with PKCE against the organisation's provider.

The UI keeps the ID token in the (encrypted) session and sends it to the API as the bearer token; the
API verifies it again from the provider's JWKS, so the UI's own check here only guards the session.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from oncall_platform.tokens import InvalidToken, JwksKeys, verified_email
from oncall_web.session import Session


class SignInFailed(Exception):
    pass


@dataclass(frozen=True)
class SignedIn:
    email: str
    id_token: str


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        issuer: str,
        client_id: str,
        redirect_uri: str,
        *,
        client_secret: str | None = None,
        scopes: str = "openid email profile",
    ) -> None:
        self._http = http
        self._issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._scopes = scopes
        self._metadata: dict[str, Any] | None = None
        self._jwks: JwksKeys | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            response = await self._http.get(f"{self._issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            self._metadata = response.json()
        return self._metadata

    async def authorization_url(self, session: Session, next_path: str) -> str:
        """Where to send the browser; remembers state, nonce and the PKCE verifier in the session."""
        verifier = secrets.token_urlsafe(64)
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        session.set("oidc", {"state": state, "nonce": nonce, "verifier": verifier, "next": next_path})
        query = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": self._redirect_uri,
            "scope": self._scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
        return f"{(await self.metadata())['authorization_endpoint']}?{urlencode(query)}"

    async def finish(self, session: Session, code: str, state: str) -> tuple[SignedIn, str]:
        """Exchange the code for tokens; returns who signed in and the path they were going to."""
        pending = session.pop("oidc")
        if not isinstance(pending, dict) or not secrets.compare_digest(str(pending.get("state")), state):
            raise SignInFailed("the sign-in answer does not belong to this browser session; try again")
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._redirect_uri,
            "client_id": self._client_id,
            "code_verifier": pending["verifier"],
        }
        if self._client_secret:
            form["client_secret"] = self._client_secret
        response = await self._http.post(metadata["token_endpoint"], data=form)
        if not response.is_success:
            raise SignInFailed(f"the identity provider refused the sign-in ({response.status_code})")
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("the identity provider sent no ID token")
        claims = await self._verified_claims(id_token, metadata)
        if claims.get("nonce") != pending["nonce"]:
            raise SignInFailed("the ID token was not issued for this sign-in")
        try:
            email = verified_email(claims)
        except InvalidToken as refusal:
            reason = f"the identity provider did not share a verified e-mail address: {refusal}"
            raise SignInFailed(reason) from None
        return SignedIn(email, id_token), str(pending.get("next") or "/")

    async def _verified_claims(self, id_token: str, metadata: dict[str, Any]) -> dict[str, Any]:
        if self._jwks is None:
            self._jwks = JwksKeys(metadata["jwks_uri"])
        try:
            key = await self._jwks.key_for(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256", "ES256"],
                audience=self._client_id,
                issuer=metadata.get("issuer", self._issuer),
                options={"require": ["exp", "iat"]},
            )
        except (jwt.PyJWTError, InvalidToken) as error:
            raise SignInFailed(f"the ID token is not valid: {error}") from error
        return claims
