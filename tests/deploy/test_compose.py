"""docker-compose.yml is valid against the Compose Specification's schema (deploy/schemas) and runs
what `make run` runs: the same services with the same commands, ports and settings, a health check on
every service's readiness probe, migrations before `serve`, and topics declared by the services."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_chart import ROOT

from localsystem.system import SERVICES, ServiceDef

COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = ROOT / "deploy" / "schemas" / "compose-spec.json"


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def _run_module() -> Any:  # deploy/local/run.py, the script behind `make run`
    spec = importlib.util.spec_from_file_location("local_run", ROOT / "deploy" / "local" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))  # the spec's draft
    validator.validate(_compose())
    broken = _compose()
    broken["services"]["rotation-service"]["healthcheck"]["intervals"] = "5s"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_compose_runs_the_services_of_make_run() -> None:
    services = _compose()["services"]
    assert {"kafka", "postgres", "pagerduty-sim"} | {s.name for s in SERVICES} == set(services)


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_each_service_runs_as_make_run_runs_it(service: ServiceDef) -> None:
    compose = _compose()["services"][service.name]
    port = _run_module().DEFAULT_PORTS[service.name]
    environment = {name: str(value) for name, value in compose["environment"].items()}
    serve = " ".join(service.serve)
    if service.migrate is None:
        assert compose["command"] == list(service.serve)
    else:  # migrations first, as LocalSystem.start does
        assert compose["command"] == ["sh", "-c", f"{' '.join(service.migrate)} && exec {serve}"]
    assert environment[service.host_env] == "0.0.0.0"
    assert environment[service.port_env] == str(port)
    assert compose["ports"] == [f"{port}:{port}"]
    assert environment["ENVIRONMENT"] == "development"
    if service.database:
        assert environment["DATABASE_URL"].startswith("postgresql://")
        assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"  # the services declare the topics
        assert environment["PAGERDUTY_BASE_URL"] == "http://pagerduty-sim:8090"
    else:
        assert (
            environment["ROTATION_API_URL"]
            == f"http://rotation-service:{_run_module().DEFAULT_PORTS['rotation-service']}"
        )
    probe = " ".join(compose["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}{service.probe_path}" in probe
    for dependency in compose["depends_on"].values():
        assert dependency["condition"] == "service_healthy"


def test_every_service_has_a_health_check() -> None:
    for name, service in _compose()["services"].items():
        assert service["healthcheck"]["test"], name


def test_each_database_exists_before_the_services_start() -> None:
    created = (ROOT / "deploy" / "compose" / "create-databases.sql").read_text()
    for service in (s for s in SERVICES if s.database):
        url = _compose()["services"][service.name]["environment"]["DATABASE_URL"]
        assert f"CREATE DATABASE {url.rsplit('/', 1)[1]};" in created
