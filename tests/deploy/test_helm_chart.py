"""The Helm chart: it lints, renders objects that are valid against the Kubernetes schemas (strictly)
and the Strimzi and Prometheus-operator CRD schemas kept in deploy/schemas, keeps its promises
(probes, security context, PDBs, secrets by reference) and refuses broken or incomplete values."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from deploy_chart import (
    BROKEN_VALUES,
    KUBERNETES_VERSION,
    PRODUCTION_VALUES,
    REQUIRED_VALUES,
    ROOT,
    Render,
)
from jsonschema.validators import validator_for

from oncall_platform.probes import LIVENESS_PATH, READINESS_PATH

SCHEMAS = ROOT / "deploy" / "schemas"
CRD_SCHEMAS = {  # (apiVersion, kind) -> the CRD's schema (deploy/schemas/README.md says where from)
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): "kafkatopic_v1beta2.json",
    ("kafka.strimzi.io/v1beta2", "KafkaUser"): "kafkauser_v1beta2.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor_v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule_v1.json",
}
Objects = list[dict[str, Any]]

pytestmark = pytest.mark.tools  # every test here runs helm


@functools.cache
def _crd_validator(schema_file: str) -> Any:
    # The schemas are the CRDs' own OpenAPI (Go regular expressions included), used as they are.
    schema = json.loads((SCHEMAS / schema_file).read_text())
    return validator_for(schema)(schema)


def _validate(document: dict[str, Any]) -> None:
    schema_file = CRD_SCHEMAS.get((document["apiVersion"], document["kind"]))
    if schema_file is None:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    else:
        _crd_validator(schema_file).validate(document)


def _kinds(objects: Objects) -> dict[str, int]:
    counts: dict[str, int] = {}
    for document in objects:
        counts[document["kind"]] = counts.get(document["kind"], 0) + 1
    return counts


def _pod_specs(objects: Objects) -> list[dict[str, Any]]:
    return [d["spec"]["template"]["spec"] for d in objects if d["kind"] in ("Deployment", "Job")]


@pytest.mark.parametrize("values", [PRODUCTION_VALUES, REQUIRED_VALUES], ids=["production", "defaults"])
def test_the_chart_lints_strictly(run_helm: Render, values: Path) -> None:
    result = run_helm("lint", "--strict", values=[values])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("which", ["production", "minimal"])
def test_every_rendered_object_is_valid_against_its_schema(
    which: str, request: pytest.FixtureRequest
) -> None:
    objects: Objects = request.getfixturevalue(which)
    for document in objects:
        _validate(document)
    kinds = _kinds(objects)
    assert kinds["Deployment"] == 4
    assert kinds["Service"] == 4
    assert kinds["PodDisruptionBudget"] == 4
    assert kinds["Job"] == 1
    assert kinds["NetworkPolicy"] == 5
    assert kinds["KafkaTopic"] == 5
    assert {"ServiceMonitor", "PrometheusRule", "ConfigMap"} <= kinds.keys()
    assert "Secret" not in kinds


def test_a_wrong_object_fails_the_validation(production: Objects) -> None:
    deployment = next(d for d in production if d["kind"] == "Deployment")
    typo = json.loads(json.dumps(deployment))
    typo["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(typo)
    topic = next(d for d in production if d["kind"] == "KafkaTopic")
    with pytest.raises(jsonschema.ValidationError):
        _validate({**topic, "spec": {**topic["spec"], "partitions": "six"}})


def test_the_deliberately_broken_values_fail_the_render(run_helm: Render) -> None:
    result = run_helm("template", "oncall", values=[BROKEN_VALUES])
    assert result.returncode != 0
    assert "replicas" in result.stderr
    assert "postgress" in result.stderr  # a misspelt setting is refused, not ignored


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("existingSecret=", "existingSecret is required"),
        ("jwt.audience=", "jwt.audience is required"),
        ("jwt.issuer=", "jwt.issuer is required"),
        ("jwt.jwksUrl=", "jwt.jwksUrl is required"),
        ("web.publicUrl=", "web.publicUrl is required"),
    ],
)
def test_settings_production_requires_fail_the_render_when_missing(
    run_helm: Render, missing: str, message: str
) -> None:
    result = run_helm("template", "oncall", values=[REQUIRED_VALUES], sets=[missing])
    assert result.returncode != 0
    assert message in result.stderr


def test_the_defaults_alone_do_not_render(run_helm: Render) -> None:
    result = run_helm("template", "oncall")
    assert result.returncode != 0
    assert "is required" in result.stderr


def test_every_container_runs_locked_down(production: Objects) -> None:
    for pod in _pod_specs(production):
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            assert container["resources"]["requests"]
            assert container["resources"]["limits"]["memory"]


def test_deployments_probe_the_platform_paths_and_spread(production: Objects) -> None:
    deployments = [d for d in production if d["kind"] == "Deployment"]
    budgets = {d["metadata"]["name"] for d in production if d["kind"] == "PodDisruptionBudget"}
    assert {d["metadata"]["name"] for d in deployments} == budgets
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == LIVENESS_PATH
        assert container["readinessProbe"]["httpGet"]["path"] == READINESS_PATH
        assert pod["topologySpreadConstraints"]
        assert deployment["spec"]["replicas"] >= 2


def test_migrations_run_before_install_and_upgrade(production: Objects) -> None:
    (job,) = [d for d in production if d["kind"] == "Job"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    commands = [c["command"] for c in job["spec"]["template"]["spec"]["initContainers"]]
    assert sorted(commands) == [
        ["pd-sync-service", "migrate"],
        ["rotation-service", "migrate"],
        ["user-provisioner", "migrate"],
    ]
    for deployment in (d for d in production if d["kind"] == "Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"][-1] == "serve"  # serve never migrates


def test_secrets_come_only_from_the_existing_secret(production: Objects) -> None:
    secret_like = ("DATABASE_URL", "CREDENTIAL_KEYS", "SESSION_SECRET", "OIDC_CLIENT_SECRET", "JWT_SECRET")
    for pod in _pod_specs(production):
        for container in pod["containers"] + pod.get("initContainers", []):
            for variable in container.get("env", []):
                if variable["name"] in secret_like:
                    assert "value" not in variable, variable["name"]
                    assert variable["valueFrom"]["secretKeyRef"]["name"] == "oncall-secrets"


def test_each_service_reaches_only_what_it_needs(production: Objects) -> None:
    policies = {d["metadata"]["name"]: d["spec"] for d in production if d["kind"] == "NetworkPolicy"}

    def ports(name: str) -> set[int | str]:
        return {port["port"] for rule in policies[name]["egress"] for port in rule["ports"]}

    assert ports("rotation-service") == {53, 5432, 9092, 4318}  # no PagerDuty
    assert ports("pd-sync-service") == {53, 5432, 9092, 4318, 443}
    assert ports("user-provisioner") == {53, 5432, 9092, 4318, 443}
    assert ports("migrate") == {53, 5432}
    assert ports("oncall-web") == {53, 4318, "http", 443}  # the API and the identity provider
    for spec in policies.values():
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        for rule in spec["egress"]:
            dns = {port["port"] for port in rule["ports"]} == {53}
            assert dns or rule.get("to"), "an egress rule without destinations opens every address"


def test_the_ingress_routes_the_api_and_the_ui(production: Objects) -> None:
    (ingress,) = [d for d in production if d["kind"] == "Ingress"]
    paths = {p["path"]: p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths == {"/v1": "rotation-service", "/": "oncall-web"}
    assert ingress["spec"]["tls"][0]["secretName"] == "oncall-tls"


def test_kafka_users_grant_each_service_its_topics_and_group(production: Objects) -> None:
    users = {
        d["metadata"]["name"]: d["spec"]["authorization"]["acls"]
        for d in production
        if d["kind"] == "KafkaUser"
    }
    assert set(users) == {"rotation-service", "pd-sync-service", "user-provisioner"}
    reads = {
        name: {
            a["resource"]["name"]
            for a in acls
            if "Read" in a["operations"] and a["resource"]["type"] == "topic"
        }
        for name, acls in users.items()
    }
    assert reads["user-provisioner"] == {"oncall.rotation.v1"}
    assert reads["pd-sync-service"] == {"oncall.rotation.v1", "oncall.pagerduty.v1"}
    groups = {
        name: {a["resource"]["name"] for a in acls if a["resource"]["type"] == "group"}
        for name, acls in users.items()
    }
    assert groups == {name: {name} for name in users}


def test_a_topic_prefix_reaches_topics_and_services(render: Callable[..., Objects]) -> None:
    objects = render([REQUIRED_VALUES], sets=["kafka.topicPrefix=staging."])
    names = {d["spec"]["topicName"] for d in objects if d["kind"] == "KafkaTopic"}
    assert "staging.oncall.rotation.v1" in names
    deployment = next(d for d in objects if d["kind"] == "Deployment")
    env = {v["name"]: v.get("value") for v in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KAFKA_TOPIC_PREFIX"] == "staging."
