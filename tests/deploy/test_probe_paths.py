"""Every service serves the same probes (oncall_platform.probes), and everything that runs the services
asks for those paths: the Kubernetes manifest and the local process supervisor."""

import re
from pathlib import Path

import pytest

from oncall_platform.probes import LIVENESS_PATH, READINESS_PATH

ROOT = Path(__file__).resolve().parents[2]


def test_every_deployment_probes_healthz_and_readyz() -> None:
    manifest = (ROOT / "deploy" / "kubernetes" / "services.yaml").read_text()
    deployments = len(re.findall(r"^kind: Deployment$", manifest, flags=re.MULTILINE))
    liveness = re.findall(r"livenessProbe: \{httpGet: \{path: (\S+), port: http\}", manifest)
    readiness = re.findall(r"readinessProbe: \{httpGet: \{path: (\S+), port: http\}", manifest)
    assert deployments == 4
    assert liveness == [LIVENESS_PATH] * deployments
    assert readiness == [READINESS_PATH] * deployments


def test_the_local_system_waits_for_every_service_to_be_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    from localsystem.system import SERVICES

    assert {service.name: service.probe_path for service in SERVICES} == {
        "rotation-service": READINESS_PATH,
        "user-provisioner": READINESS_PATH,
        "pd-sync-service": READINESS_PATH,
        "oncall-web": READINESS_PATH,
    }
