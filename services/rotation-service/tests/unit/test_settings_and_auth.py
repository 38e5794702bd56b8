from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError

from rotation_service.entrypoints.api.auth import InvalidToken, SharedSecretVerifier, mint_token
from rotation_service.settings import DEVELOPMENT_JWT_SECRET, RotationServiceSettings

STRONG = "a-production-secret-that-is-long-enough-123"
KEYS = "prod:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="


def test_production_refuses_the_development_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        RotationServiceSettings(environment="production", credential_keys=KEYS)  # type: ignore[arg-type]


def test_production_refuses_a_short_secret_but_accepts_a_strong_one_or_jwks() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        RotationServiceSettings(environment="production", credential_keys=KEYS, jwt_secret="short")  # type: ignore[arg-type]
    strong = RotationServiceSettings(environment="production", credential_keys=KEYS, jwt_secret=STRONG)  # type: ignore[arg-type]
    assert strong.jwt_secret.get_secret_value() == STRONG
    jwks = RotationServiceSettings(
        environment="production",
        credential_keys=KEYS,
        jwt_jwks_url="https://idp.example.com/jwks",  # type: ignore[arg-type]
    )
    assert jwks.jwt_jwks_url == "https://idp.example.com/jwks"


def test_development_defaults_to_embedded_sqlite() -> None:
    settings = RotationServiceSettings(database_url="")
    assert settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
    assert settings.effective_database_url().startswith("sqlite://")


async def test_a_minted_token_names_the_caller() -> None:
    verifier = SharedSecretVerifier(STRONG)
    assert await verifier.email_of(mint_token(STRONG, "Ann@Example.com")) == "ann@example.com"


@pytest.mark.parametrize(
    "token",
    [
        mint_token("another-secret-entirely-0123456789abcdef", "ann@example.com"),
        mint_token(STRONG, "ann@example.com", lifetime=timedelta(seconds=-5)),
        jwt.encode({"sub": "ann", "exp": 4102444800}, STRONG, "HS256"),
        jwt.encode({"email": "ann@example.com"}, STRONG, "HS256"),
        "not.a.token",
        mint_token(STRONG, "a" * 250 + "@example.com"),
    ],
    ids=["wrong-secret", "expired", "no-email", "no-expiry", "garbage", "email-over-254"],
)
async def test_invalid_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        await SharedSecretVerifier(STRONG).email_of(token)
