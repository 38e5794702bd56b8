"""Settings of the web UI, from the environment (twelve-factor).

The UI holds no PagerDuty credential and no database: it needs the API's address, a secret for its
session cookies and, in production, the organisation's OpenID Connect provider.
"""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from oncall_platform.settings import ProcessSettings
from oncall_platform.tokens import DEVELOPMENT_JWT_SECRET, MIN_SECRET_LENGTH

DEVELOPMENT_SESSION_SECRET = "development-only-web-session-secret-0123456789"


class WebSettings(ProcessSettings):
    """Env vars: ROTATION_API_URL, WEB_HOST/WEB_PORT, SESSION_SECRET, OIDC_* (production), and the
    platform's ENVIRONMENT, LOG_LEVEL, MAX_REQUEST_BYTES, SHUTDOWN_GRACE_SECONDS, ..."""

    web_host: str = "127.0.0.1"
    web_port: int = 8083
    web_public_url: str | None = None  # where browsers reach the UI (OIDC redirect); default host:port
    rotation_api_url: str = "http://127.0.0.1:8080"
    api_timeout_seconds: float = 10.0
    session_secret: SecretStr = SecretStr(DEVELOPMENT_SESSION_SECRET)
    session_hours: int = 12
    # Development sign-in mints the API's development tokens with its shared secret.
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> WebSettings:
        if self.environment == "development":
            return self
        secret = self.session_secret.get_secret_value()
        if secret == DEVELOPMENT_SESSION_SECRET or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"outside development set SESSION_SECRET to at least {MIN_SECRET_LENGTH} random characters"
            )
        if not (self.oidc_issuer and self.oidc_client_id):
            raise ValueError(
                "outside development set OIDC_ISSUER and OIDC_CLIENT_ID (OpenID Connect sign-in)"
            )
        return self

    @property
    def development_sign_in(self) -> bool:
        """The e-mail-only sign-in form: development without an identity provider, never elsewhere."""
        return self.environment == "development" and not self.oidc_issuer

    @property
    def secure_cookies(self) -> bool:
        return self.environment != "development"

    @property
    def public_url(self) -> str:
        return (self.web_public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")
