"""Twelve-factor settings shared by every service.

Each service subclasses `ServiceSettings` and adds its own fields. Outside development, settings that
would be insecure with their defaults (the development credential keys) are refused at start-up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from oncall_contracts.credentials import CredentialSealer
from oncall_contracts.topics import Topics

# A well-known key for local runs only: every service of a local run shares it, so IntegrationConfigured
# events sealed by the rotation service open in the consumers. Refused outside development.
DEVELOPMENT_CREDENTIAL_KEYS = "dev:b25jYWxsLWxvY2FsLWRldmVsb3BtZW50LWtleS0zMmI="

Environment = Literal["development", "test", "production"]


class ServiceSettings(BaseSettings):
    """Settings every service reads from its environment."""

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    environment: Environment = "development"
    log_level: str = "INFO"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = ""
    database_url: str = ""
    credential_keys: SecretStr = SecretStr(DEVELOPMENT_CREDENTIAL_KEYS)
    otel_exporter_otlp_endpoint: str | None = None

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> ServiceSettings:
        if self.environment != "development" and (
            self.credential_keys.get_secret_value() == DEVELOPMENT_CREDENTIAL_KEYS
        ):
            raise ValueError(
                "CREDENTIAL_KEYS must be set outside development "
                "(the development key is public); generate one with: uv run python -c "
                "'from oncall_contracts.credentials import env_entry, generate_key; "
                'print(env_entry("k1", generate_key()))\''
            )
        return self

    def topics(self) -> Topics:
        return Topics(prefix=self.kafka_topic_prefix)

    def credential_sealer(self) -> CredentialSealer:
        return CredentialSealer.from_env_value(self.credential_keys.get_secret_value())
