"""Twelve-factor settings shared by every service.

Each service subclasses `ServiceSettings` and adds its own fields. `ENVIRONMENT` has no default: a
service refuses to start without it (`make run`, the tests and docker-compose set `development`).
Outside development, settings that would be insecure with their defaults (the development credential
key, under whatever key id) are refused at start-up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from oncall_contracts.credentials import CredentialError, CredentialSealer, parse_keys
from oncall_contracts.topics import Topics, TopicSpec
from oncall_platform.consumer import ConsumerOptions
from oncall_platform.http_limits import DEFAULT_MAX_REQUEST_BYTES
from oncall_platform.inbox_pruning import DEFAULT_REDELIVERY_WINDOW, InboxRetention

# A well-known key for local runs only: every service of a local run shares it, so IntegrationConfigured
# events sealed by the rotation service open in the consumers. Refused outside development.
DEVELOPMENT_CREDENTIAL_KEYS = "dev:b25jYWxsLWxvY2FsLWRldmVsb3BtZW50LWtleS0zMmI="
_DEVELOPMENT_KEY = parse_keys(DEVELOPMENT_CREDENTIAL_KEYS)["dev"]

DEFAULT_SHUTDOWN_GRACE_SECONDS = 20.0

Environment = Literal["development", "test", "production"]


class ProcessSettings(BaseSettings):
    """What every process the lifecycle runs reads: the services and the web UI."""

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    environment: Environment  # ENVIRONMENT, required: no silent default to development
    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = None
    max_request_bytes: int = Field(default=DEFAULT_MAX_REQUEST_BYTES, gt=0)
    """MAX_REQUEST_BYTES: HTTP request bodies over it are answered 413 (``RequestBodyLimit``)."""
    # After SIGTERM: how long the requests, messages and writes in flight may take to finish.
    shutdown_grace_seconds: float = Field(DEFAULT_SHUTDOWN_GRACE_SECONDS, ge=0)

    def declared_topics(self) -> tuple[str, list[TopicSpec]] | None:
        """The Kafka servers and the topics `serve` creates before it starts: none (no Kafka)."""
        return None


class ServiceSettings(ProcessSettings):
    """Settings every service on Kafka and a database reads from its environment."""

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = ""
    database_url: str = ""
    credential_keys: SecretStr = SecretStr(DEVELOPMENT_CREDENTIAL_KEYS)
    # PagerDuty's API roots per service region; unset: the real ones. The simulator serves both.
    pagerduty_base_url: str | None = None  # stands in for https://api.pagerduty.com (US)
    pagerduty_eu_base_url: str | None = None  # stands in for https://api.eu.pagerduty.com (EU)
    # Consuming (oncall_platform.consumer): an event failing this many times is dead-lettered.
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_retry_backoff_ms: int = Field(default=100, ge=0)
    consumer_batch_max_records: int = Field(default=100, ge=1)
    # How long the broker may hold a fetch of idle partitions (Kafka's 500 ms default delays events
    # of other partitions: aiokafka sends one fetch per broker at a time).
    kafka_fetch_max_wait_ms: int = Field(default=100, ge=0)
    # The inbox keeps processed event ids this long (longer than Kafka keeps the pagerduty topic), then
    # `serve` prunes them every INBOX_PRUNE_INTERVAL_SECONDS (docs/design/platform.md, "Inbox pruning").
    inbox_redelivery_window_days: float = Field(default=DEFAULT_REDELIVERY_WINDOW.days, gt=0)
    inbox_prune_interval_seconds: float = Field(default=600.0, gt=0)
    # The outbox relay keeps published rows this long ("did event X go out, when"), then deletes them.
    outbox_retention_seconds: float = Field(default=3600.0, ge=0)

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> ServiceSettings:
        if self.environment != "development" and _holds_development_key(self.credential_keys):
            raise ValueError(
                "CREDENTIAL_KEYS must be set outside development and must not hold the development "
                "key under any key id (it is public); generate one with: uv run python -c "
                "'from oncall_contracts.credentials import env_entry, generate_key; "
                'print(env_entry("k1", generate_key()))\''
            )
        return self

    def topics(self) -> Topics:
        return Topics(prefix=self.kafka_topic_prefix)

    def declared_topics(self) -> tuple[str, list[TopicSpec]] | None:
        return self.kafka_bootstrap_servers, list(self.topics().specs())

    def consumer_options(self) -> ConsumerOptions:
        return ConsumerOptions(
            max_attempts=self.consumer_max_attempts,
            retry_backoff_s=self.consumer_retry_backoff_ms / 1000,
            batch_max_records=self.consumer_batch_max_records,
            fetch_max_wait_ms=self.kafka_fetch_max_wait_ms,
        )

    def outbox_retention(self) -> timedelta:
        return timedelta(seconds=self.outbox_retention_seconds)

    def inbox_retention(self) -> InboxRetention:
        return InboxRetention(
            window=timedelta(days=self.inbox_redelivery_window_days),
            interval_seconds=self.inbox_prune_interval_seconds,
        )

    def pagerduty_base_url_for(self, region: str) -> str | None:
        """The configured API root of PagerDuty's `region` ("us" or "eu"); None: the real one."""
        return self.pagerduty_eu_base_url if region == "eu" else self.pagerduty_base_url

    def credential_sealer(self) -> CredentialSealer:
        return CredentialSealer.from_env_value(self.credential_keys.get_secret_value())


def _holds_development_key(credential_keys: SecretStr) -> bool:
    try:
        keys = parse_keys(credential_keys.get_secret_value())
    except CredentialError:
        return False  # malformed: the sealer refuses it with its own reason
    return _DEVELOPMENT_KEY in keys.values()
