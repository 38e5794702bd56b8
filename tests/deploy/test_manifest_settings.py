"""Every container of the Kubernetes manifest starts with the settings it is given there: production
refuses what would be insecure (no audience or issuer, the development credential key), so a manifest
that forgets one would never start."""

import re
import secrets
from pathlib import Path

import pytest

from oncall_contracts.credentials import env_entry, generate_key

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes" / "services.yaml"
_ENV_LINE = re.compile(r"^\s+- \{name: (\w+), (?:value: (.+?)|valueFrom: .+)\}$")
_COMMAND = re.compile(r'^\s+command: \["([\w-]+)", "(\w+)"\]$')


def _config_map(text: str) -> dict[str, str]:
    block = text.split("\nkind: ConfigMap\n", 1)[1].split("---", 1)[0].split("\ndata:\n", 1)[1]
    pairs = (line.strip().split(": ", 1) for line in block.splitlines() if line.strip())
    return {name: value for name, value in pairs}


def _containers(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """(program, command, environment) of every container and init container."""
    secret = {"CREDENTIAL_KEYS": env_entry("k1", generate_key())}
    found: list[tuple[str, str, dict[str, str]]] = []
    for line in text.splitlines():
        if command := _COMMAND.match(line):
            found.append((command.group(1), command.group(2), dict(_config_map(text))))
        elif (env := _ENV_LINE.match(line)) and found:
            name, value = env.group(1), env.group(2)
            given = value.strip('"') if value is not None else None
            found[-1][2][name] = given or secret.get(name, secrets.token_urlsafe(40))
    return found


def _settings_class(program: str) -> type:
    from oncall_web.settings import WebSettings
    from pd_sync_service.settings import PdSyncSettings
    from rotation_service.settings import RotationServiceSettings
    from user_provisioner.settings import ProvisionerSettings

    classes: dict[str, type] = {
        "rotation-service": RotationServiceSettings,
        "user-provisioner": ProvisionerSettings,
        "pd-sync-service": PdSyncSettings,
        "oncall-web": WebSettings,
    }
    return classes[program]


def test_the_manifest_sets_the_token_audience_and_issuer() -> None:
    config = _config_map(MANIFEST.read_text())
    assert config["ENVIRONMENT"] == "production"
    for name in ("JWT_AUDIENCE", "JWT_ISSUER", "JWT_JWKS_URL"):
        assert config[name], name


@pytest.mark.parametrize("container", _containers(MANIFEST.read_text()), ids=lambda c: f"{c[0]} {c[1]}")
def test_every_container_gets_settings_production_accepts(
    container: tuple[str, str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    program, _, environment = container
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = _settings_class(program)()
    assert settings.environment == "production"
