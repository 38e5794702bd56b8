"""OpenID Connect sign-in (authorization code + PKCE) against a small identity provider of the test's
own: discovery and token endpoint on an httpx transport, its JWKS on a local HTTP server."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from oncall_web.oidc import OidcClient, SignInFailed
from oncall_web.session import Session

ISSUER = "https://login.example.com"
CLIENT_ID = "oncall-scheduler"
REDIRECT = "https://oncall.example.com/auth/callback"


class IdentityProvider:
    def __init__(self, jwks_uri: str) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwks_uri = jwks_uri
        self.challenge: str | None = None
        self.nonce: str | None = None
        self.email = "ana@example.com"
        self.email_verified: bool | None = None

    def jwks(self) -> bytes:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "u1",
            "email": self.email,
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
        }
        if self.email_verified is not None:
            claims["email_verified"] = self.email_verified
        return jwt.encode(claims, self.key, "RS256", headers={"kid": "k1"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": self.jwks_uri,
                },
            )
        if request.url.path == "/token":
            form = parse_qs(request.content.decode())
            verifier = form["code_verifier"][0]
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if digest != self.challenge or form["code"] != ["the-code"] or form["redirect_uri"] != [REDIRECT]:
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json={"id_token": self.id_token(self.nonce), "token_type": "Bearer"})
        return httpx.Response(404)


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, list[bytes]]]:
    body: list[bytes] = [b"{}"]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body[0])

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", body
    server.shutdown()
    server.server_close()


@pytest.fixture
def provider(jwks_server: tuple[str, list[bytes]]) -> IdentityProvider:
    url, body = jwks_server
    idp = IdentityProvider(url)
    body[0] = idp.jwks()
    return idp


def client(provider: IdentityProvider) -> OidcClient:
    return OidcClient(httpx.AsyncClient(transport=httpx.MockTransport(provider)), ISSUER, CLIENT_ID, REDIRECT)


async def start(oidc: OidcClient, provider: IdentityProvider, session: Session) -> dict[str, str]:
    url = await oidc.authorization_url(session, "/rotations/r1")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    provider.challenge, provider.nonce = query["code_challenge"], query["nonce"]
    return query


async def test_code_and_pkce_sign_in_yields_the_id_token_for_the_api(provider: IdentityProvider) -> None:
    oidc, session = client(provider), Session()
    query = await start(oidc, provider, session)
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["client_id"] == CLIENT_ID
    assert "verifier" not in json.dumps(query), "the verifier never leaves the session"
    signed_in, next_path = await oidc.finish(session, "the-code", query["state"])
    assert signed_in.email == "ana@example.com"
    assert jwt.decode(signed_in.id_token, options={"verify_signature": False})["aud"] == CLIENT_ID
    assert next_path == "/rotations/r1"


async def test_an_answer_for_another_session_is_refused(provider: IdentityProvider) -> None:
    oidc, session = client(provider), Session()
    await start(oidc, provider, session)
    with pytest.raises(SignInFailed, match="does not belong"):
        await oidc.finish(session, "the-code", "someone-elses-state")


async def test_an_id_token_for_another_sign_in_is_refused(provider: IdentityProvider) -> None:
    oidc, session = client(provider), Session()
    query = await start(oidc, provider, session)
    provider.nonce = "replayed"
    with pytest.raises(SignInFailed, match="not issued for this sign-in"):
        await oidc.finish(session, "the-code", query["state"])


async def test_an_id_token_signed_by_another_key_is_refused(provider: IdentityProvider) -> None:
    oidc, session = client(provider), Session()
    query = await start(oidc, provider, session)
    provider.key = rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    )  # JWKS still has the old one
    with pytest.raises(SignInFailed, match="not valid"):
        await oidc.finish(session, "the-code", query["state"])


async def test_an_id_token_with_an_unverified_email_is_refused(provider: IdentityProvider) -> None:
    oidc, session = client(provider), Session()
    query = await start(oidc, provider, session)
    provider.email_verified = False
    with pytest.raises(SignInFailed, match="not verified"):
        await oidc.finish(session, "the-code", query["state"])
