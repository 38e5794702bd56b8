from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError

from rotation_service.entrypoints.api.auth import InvalidToken, SharedSecretVerifier, mint_token
from rotation_service.settings import DEVELOPMENT_JWT_SECRET, RotationServiceSettings

STRONG = "a-production-secret-that-is-long-enough-123"
KEYS = "prod:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
TOKENS = {"jwt_audience": "oncall-scheduler", "jwt_issuer": "https://login.example.com"}


def test_production_refuses_the_development_jwt_secret() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        RotationServiceSettings(environment="production", credential_keys=KEYS, **TOKENS)  # type: ignore[arg-type]


def test_production_refuses_a_short_secret_but_accepts_a_strong_one_or_jwks() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        RotationServiceSettings(
            environment="production",
            credential_keys=KEYS,
            jwt_secret="short",  # type: ignore[arg-type]
            **TOKENS,
        )
    strong = RotationServiceSettings(
        environment="production",
        credential_keys=KEYS,
        jwt_secret=STRONG,  # type: ignore[arg-type]
        **TOKENS,
    )
    assert strong.jwt_secret.get_secret_value() == STRONG
    jwks = RotationServiceSettings(
        environment="production",
        credential_keys=KEYS,
        jwt_jwks_url="https://idp.example.com/jwks",  # type: ignore[arg-type]
        **TOKENS,
    )
    assert jwks.jwt_jwks_url == "https://idp.example.com/jwks"


@pytest.mark.parametrize("missing", ["jwt_audience", "jwt_issuer"])
def test_outside_development_the_token_audience_and_issuer_are_required(missing: str) -> None:
    settings = {**TOKENS, "jwt_jwks_url": "https://idp.example.com/jwks"}
    del settings[missing]
    with pytest.raises(ValidationError, match="JWT_AUDIENCE and JWT_ISSUER"):
        RotationServiceSettings(environment="production", credential_keys=KEYS, **settings)  # type: ignore[arg-type]


def test_the_service_refuses_to_start_without_an_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    with pytest.raises(ValidationError, match="environment"):
        RotationServiceSettings()


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
        jwt.encode({"email": "ann@example.com", "email_verified": False, "exp": 4102444800}, STRONG, "HS256"),
    ],
    ids=["wrong-secret", "expired", "no-email", "no-expiry", "garbage", "email-over-254", "unverified"],
)
async def test_invalid_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        await SharedSecretVerifier(STRONG).email_of(token)


async def test_a_verifier_with_audience_and_issuer_refuses_tokens_without_them() -> None:
    verifier = SharedSecretVerifier(STRONG, audience="oncall-scheduler", issuer="https://login.example.com")
    minted = mint_token(
        STRONG, "ann@example.com", audience="oncall-scheduler", issuer="https://login.example.com"
    )
    assert await verifier.email_of(minted) == "ann@example.com"
    with pytest.raises(InvalidToken):
        await verifier.email_of(mint_token(STRONG, "ann@example.com"))
    with pytest.raises(InvalidToken):
        await verifier.email_of(mint_token(STRONG, "ann@example.com", audience="oncall-scheduler"))
