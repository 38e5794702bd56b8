import json
import logging
from datetime import timedelta

import pytest
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from oncall_contracts import CredentialSealer
from oncall_contracts.credentials import env_entry, generate_key
from oncall_platform.database import async_database_url
from oncall_platform.lifecycle import ServiceDefinition
from oncall_platform.lifecycle import main as lifecycle_main
from oncall_platform.settings import DEVELOPMENT_CREDENTIAL_KEYS, ServiceSettings
from oncall_platform.telemetry import JsonLogFormatter, configure_json_logging


def test_development_key_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="CREDENTIAL_KEYS must be set"):
        ServiceSettings(environment="production")


@pytest.mark.parametrize("key_id", ["prod", "k1"])
def test_the_development_key_is_refused_under_any_key_id(key_id: str) -> None:
    relabelled = DEVELOPMENT_CREDENTIAL_KEYS.replace("dev:", f"{key_id}:")
    own = env_entry("own", generate_key())
    for keys in (relabelled, f"{own},{relabelled}"):
        with pytest.raises(ValidationError, match="CREDENTIAL_KEYS must be set"):
            ServiceSettings(environment="production", credential_keys=keys)  # type: ignore[arg-type]


def test_a_service_refuses_to_start_without_an_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    with pytest.raises(ValidationError, match="environment"):
        ServiceSettings()
    monkeypatch.setenv("ENVIRONMENT", "production")
    keys = env_entry("k1", generate_key())
    assert ServiceSettings(credential_keys=keys).environment == "production"  # type: ignore[arg-type]


def test_production_accepts_its_own_keys_and_the_sealer_opens_what_it_seals() -> None:
    keys = env_entry("prod", generate_key())
    settings = ServiceSettings(environment="production", credential_keys=keys)
    sealer = settings.credential_sealer()
    assert isinstance(sealer, CredentialSealer)
    sealed = sealer.seal("u+secret-key", context="us:acme")
    assert sealer.open(sealed, context="us:acme") == "u+secret-key"


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    monkeypatch.setenv("KAFKA_TOPIC_PREFIX", "staging.")
    settings = ServiceSettings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:19092"
    assert settings.topics().rotation == "staging.oncall.rotation.v1"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("sqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
        ("postgresql+asyncpg://h/db", "postgresql+asyncpg://h/db"),
    ],
)
def test_database_urls_get_async_drivers(url: str, expected: str) -> None:
    assert async_database_url(url) == expected


def test_json_log_lines_carry_trace_and_span_ids_and_extras() -> None:
    tracer = TracerProvider().get_tracer("test")
    formatter = JsonLogFormatter("svc")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.rotation_id = "r-1"
    with tracer.start_as_current_span("work") as span:
        line = json.loads(formatter.format(record))
    assert line["message"] == "hello world"
    assert line["service"] == "svc"
    assert line["rotation_id"] == "r-1"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")


def test_library_loggers_lose_their_text_handlers_and_uvicorn_colours_are_dropped() -> None:
    faststream = logging.getLogger("faststream")
    faststream.addHandler(logging.StreamHandler())
    faststream.propagate = False
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_json_logging("svc")
        assert faststream.handlers == []
        assert faststream.propagate
        record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Started", (), None)
        record.color_message = "\x1b[36mStarted\x1b[0m"
        line = json.loads(JsonLogFormatter("svc").format(record))
        assert line["message"] == "Started"
        assert "color_message" not in line
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def test_a_missing_setting_stops_the_command_with_its_variable_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    service: ServiceDefinition[ServiceSettings] = ServiceDefinition(
        name="example-service",
        description="a service for the test",
        settings=ServiceSettings,
        build=lambda settings: pytest.fail("nothing is built without settings"),
        address=lambda settings: ("127.0.0.1", 0),
    )
    with pytest.raises(SystemExit) as stopped:
        lifecycle_main(service, ["serve"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error == "example-service: cannot start: ENVIRONMENT is not set\n"


def test_the_storage_windows_are_settings() -> None:
    defaults = ServiceSettings(environment="development")
    assert defaults.outbox_retention() == timedelta(hours=1)
    assert defaults.inbox_retention().window == timedelta(days=35)  # longer than the pagerduty topic's 30
    shortened = ServiceSettings(
        environment="development",
        outbox_retention_seconds=30,
        inbox_redelivery_window_days=1,
        inbox_prune_interval_seconds=10,
    )
    assert shortened.outbox_retention() == timedelta(seconds=30)
    assert (shortened.inbox_retention().window, shortened.inbox_retention().interval_seconds) == (
        timedelta(days=1),
        10,
    )
