"""Every container the chart renders starts with the settings it is given: production refuses what
would be insecure (no audience or issuer, the development credential key, no session secret), so a
chart that forgot one would render pods that never start. Secrets come from the Secret: stand-ins here."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from oncall_contracts.credentials import env_entry, generate_key

Objects = list[dict[str, Any]]

pytestmark = pytest.mark.tools  # every test here runs helm


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


def _environment(container: dict[str, Any]) -> dict[str, str]:
    stand_ins = {"CREDENTIAL_KEYS": env_entry("k1", generate_key())}
    environment: dict[str, str] = {}
    for variable in container.get("env", []):
        name = variable["name"]
        if "value" in variable:
            environment[name] = str(variable["value"])
        elif not variable["valueFrom"]["secretKeyRef"].get("optional"):
            environment[name] = stand_ins.get(name, secrets.token_urlsafe(40))
    return environment


def _containers(objects: Objects) -> list[dict[str, Any]]:
    pods = [d["spec"]["template"]["spec"] for d in objects if d["kind"] in ("Deployment", "Job")]
    every = [c for pod in pods for c in pod["containers"] + pod.get("initContainers", [])]
    return [c for c in every if c["command"][0] != "python"]  # the Job's closing message


def test_every_container_gets_settings_production_accepts(
    production: Objects, monkeypatch: pytest.MonkeyPatch
) -> None:
    containers = _containers(production)
    # Each backend serves (its Deployment) and migrates (the Job); the web UI only serves.
    assert sorted((c["command"][0], c["command"][1]) for c in containers) == sorted(
        [
            (p, command)
            for p in ("rotation-service", "pd-sync-service", "user-provisioner")
            for command in ("serve", "migrate")
        ]
        + [("oncall-web", "serve")]
    )
    programs = set()
    for container in containers:
        with monkeypatch.context() as patch:
            patch.delenv("ENVIRONMENT", raising=False)
            for name, value in _environment(container).items():
                patch.setenv(name, value)
            settings = _settings_class(container["command"][0])()
        assert settings.environment == "production"
        programs.add(container["command"][0])
    assert programs == {"rotation-service", "pd-sync-service", "user-provisioner", "oncall-web"}


def test_the_api_verifies_the_identity_providers_tokens(production: Objects) -> None:
    (api,) = [
        d for d in production if d["kind"] == "Deployment" and d["metadata"]["name"] == "rotation-service"
    ]
    environment = _environment(api["spec"]["template"]["spec"]["containers"][0])
    assert environment["JWT_JWKS_URL"] == "https://login.example.com/.well-known/jwks.json"
    assert environment["JWT_ISSUER"] == "https://login.example.com"
    assert environment["JWT_AUDIENCE"] == "oncall-scheduler"
