from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from oncall_platform.tokens import JwksKeys
from rotation_service.entrypoints.api.auth import InvalidToken, JwksVerifier

SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


FETCHES: list[str] = []


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    """A real JWKS endpoint on 127.0.0.1 publishing SIGNING_KEY's public half as kid "k1"; every
    request is counted in FETCHES."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            FETCHES.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


def token(key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str = "k1") -> str:
    exp = datetime.now(UTC) + timedelta(minutes=5)
    return jwt.encode({"exp": exp, **claims}, key, "RS256", headers={"kid": kid})


async def test_an_rs256_token_from_the_identity_provider_names_the_caller(jwks_url: str) -> None:
    verifier = JwksVerifier(jwks_url, audience="oncall")
    signed = token(SIGNING_KEY, {"email": "Ann@Example.com", "aud": "oncall"})
    assert await verifier.email_of(signed) == "ann@example.com"


@pytest.mark.parametrize(
    "claims_and_key",
    [
        ({"email": "ann@example.com", "aud": "oncall"}, OTHER_KEY),
        ({"email": "ann@example.com", "aud": "somebody-else"}, SIGNING_KEY),
        ({"sub": "ann", "aud": "oncall"}, SIGNING_KEY),
        ({"email": "ann@example.com", "aud": "oncall", "email_verified": False}, SIGNING_KEY),
        ({"email": "ann@example.com"}, SIGNING_KEY),
    ],
    ids=["forged-signature", "wrong-audience", "no-email", "email-not-verified", "no-audience"],
)
async def test_rs256_tokens_that_do_not_verify_are_refused(
    jwks_url: str, claims_and_key: tuple[dict[str, Any], rsa.RSAPrivateKey]
) -> None:
    claims, key = claims_and_key
    with pytest.raises(InvalidToken):
        await JwksVerifier(jwks_url, audience="oncall").email_of(token(key, claims))


async def test_an_hs256_token_is_refused_when_rs256_is_configured(jwks_url: str) -> None:
    forged = jwt.encode(
        {"email": "ann@example.com", "exp": 4102444800},
        "a-guessed-shared-secret-0123456789abcdef",
        "HS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(InvalidToken):
        await JwksVerifier(jwks_url).email_of(forged)


async def test_tokens_need_the_configured_issuer(jwks_url: str) -> None:
    verifier = JwksVerifier(jwks_url, audience="oncall", issuer="https://login.example.com")
    good = {"email": "ann@example.com", "aud": "oncall", "iss": "https://login.example.com"}
    assert await verifier.email_of(token(SIGNING_KEY, good)) == "ann@example.com"
    for claims in (
        {**good, "iss": "https://evil.example.com"},
        {"email": "ann@example.com", "aud": "oncall"},
    ):
        with pytest.raises(InvalidToken):
            await verifier.email_of(token(SIGNING_KEY, claims))


async def test_unknown_key_ids_fetch_the_keys_at_most_once_a_minute(jwks_url: str) -> None:
    now = [1000.0]
    verifier = JwksVerifier(jwks_url, audience="oncall", keys=JwksKeys(jwks_url, monotonic=lambda: now[0]))
    claims = {"email": "ann@example.com", "aud": "oncall"}
    FETCHES.clear()
    assert await verifier.email_of(token(SIGNING_KEY, claims)) == "ann@example.com"
    for attempt in range(50):
        with pytest.raises(InvalidToken, match="no signing key"):
            await verifier.email_of(token(SIGNING_KEY, claims, kid=f"made-up-{attempt}"))
        now[0] += 1.0
    assert len(FETCHES) == 1, "50 made-up key ids within a minute of the first fetch fetch nothing"
    now[0] += 10.0
    with pytest.raises(InvalidToken):
        await verifier.email_of(token(SIGNING_KEY, claims, kid="made-up-after-a-minute"))
    assert await verifier.email_of(token(SIGNING_KEY, claims)) == "ann@example.com"
    assert len(FETCHES) == 2
