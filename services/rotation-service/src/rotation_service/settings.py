"""Settings of the rotation service, from the environment (twelve-factor)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from oncall_platform.settings import ServiceSettings
from oncall_platform.tokens import DEVELOPMENT_JWT_SECRET, MIN_SECRET_LENGTH

__all__ = ["DEVELOPMENT_JWT_SECRET", "RotationServiceSettings"]

DEFAULT_SQLITE_URL = "sqlite:///./rotation-service.db"


class RotationServiceSettings(ServiceSettings):
    """Env vars: JWT_SECRET, JWT_JWKS_URL (RS256 in production), JWT_AUDIENCE and JWT_ISSUER (required
    outside development), ROTATION_SERVICE_HOST/PORT, ..."""

    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    rotation_service_host: str = "127.0.0.1"
    rotation_service_port: int = 8080
    outbox_poll_interval_seconds: float = 0.5
    outbox_batch_size: int = 200
    horizon_roll_interval_seconds: float = 3600.0
    shift_request_expiry_interval_seconds: float = 60.0
    # Shifts that ended longer ago are pruned (their time kept in member_totals), every interval.
    shift_retention_days: float = Field(default=90.0, gt=0)
    shift_prune_interval_seconds: float = Field(default=3600.0, gt=0)
    pagerduty_timeout_seconds: float = 10.0  # per request of the key check at configuration

    @model_validator(mode="after")
    def _refuse_insecure_jwt(self) -> RotationServiceSettings:
        if self.environment == "development":
            return self
        if not (self.jwt_audience and self.jwt_issuer):
            raise ValueError(
                "outside development set JWT_AUDIENCE and JWT_ISSUER (a token of another audience or "
                "issuer must not sign anyone in)"
            )
        if self.jwt_jwks_url:
            return self
        secret = self.jwt_secret.get_secret_value()
        if secret == DEVELOPMENT_JWT_SECRET or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"outside development set JWT_JWKS_URL (RS256) or a JWT_SECRET of at least "
                f"{MIN_SECRET_LENGTH} characters that is not the development default"
            )
        return self

    def effective_database_url(self) -> str:
        """DATABASE_URL, or an embedded SQLite file for local runs."""
        return self.database_url or DEFAULT_SQLITE_URL
