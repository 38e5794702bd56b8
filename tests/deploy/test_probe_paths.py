"""Every service serves the same probes (oncall_platform.probes), and everything that runs the services
asks for those paths: the local process supervisor here, the Helm chart in test_helm_chart."""

from pathlib import Path

import pytest

from oncall_platform.probes import READINESS_PATH

ROOT = Path(__file__).resolve().parents[2]


def test_the_local_system_waits_for_every_service_to_be_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    from localsystem.system import SERVICES

    assert {service.name: service.probe_path for service in SERVICES} == {
        "rotation-service": READINESS_PATH,
        "user-provisioner": READINESS_PATH,
        "pd-sync-service": READINESS_PATH,
        "oncall-web": READINESS_PATH,
    }
