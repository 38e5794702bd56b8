"""Alerts and the dashboard watch metrics the services really export.

The rules are checked as `promtool check rules` would (an hour-long Go build on these machines, so its
checks are made here): every expression parses as PromQL (promql-parser), durations parse, alert names
are unique, every alert the issue asks for exists, and annotation templates are balanced. Every metric
an alert or a dashboard panel names is one `oncall_platform.metrics` declares."""

from __future__ import annotations

import json
import re
from typing import Any

import promql_parser
import pytest
from deploy_chart import CHART
from prometheus_client import REGISTRY

import oncall_platform.metrics

Objects = list[dict[str, Any]]
EXPECTED_ALERTS = {
    "OncallScheduleSyncFailing",
    "OncallChangeToPagerDutySlow",
    "OncallConsumerLagGrowing",
    "OncallOutboxBacklogGrowing",
    "OncallOutboxParkedEvents",
    "OncallDeadLetters",
    "OncallPagerDutyKeyNearLimit",
}
_METRIC = re.compile(r"\boncall_[a-z0-9_]+\b")
_SUFFIXES = ("_bucket", "_count", "_sum", "_created")


def _exported() -> set[str]:
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in suffixes.get(family.type, ("",)))
    names.add("oncall_consumer_lag_records")  # collected at scrape time, from live consumers only
    return names


def _named_metrics(expression: str) -> set[str]:
    return {name for name in _METRIC.findall(expression) if not name.startswith("oncall_scheduler")}


def _rules(objects: Objects) -> list[dict[str, Any]]:
    (rule,) = [d for d in objects if d["kind"] == "PrometheusRule"]
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


@pytest.mark.tools
def test_the_alert_rules_are_valid_promql_with_the_alerts_asked_for(production: Objects) -> None:
    rules = _rules(production)
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    assert set(names) == EXPECTED_ALERTS
    for rule in rules:
        promql_parser.parse(rule["expr"])
        if "for" in rule:
            promql_parser.parse_duration(rule["for"])
        assert rule["labels"]["severity"] in {"warning", "critical"}
        for text in rule["annotations"].values():
            assert text.count("{{") == text.count("}}"), text


def test_a_broken_expression_is_refused() -> None:
    try:
        promql_parser.parse("sum by (le (rate(oncall_events_consumed_total[5m]))")
    except ValueError:
        return
    raise AssertionError("an unbalanced expression parsed")


@pytest.mark.tools
def test_the_alert_thresholds_come_from_the_values(render: Any, production: Objects) -> None:
    from deploy_chart import REQUIRED_VALUES

    slow = next(r for r in _rules(production) if r["alert"] == "OncallChangeToPagerDutySlow")
    assert slow["expr"].endswith("> 5")
    objects = render([REQUIRED_VALUES], sets=["metrics.prometheusRule.changeToPagerDutyP99Seconds=3"])
    slow = next(r for r in _rules(objects) if r["alert"] == "OncallChangeToPagerDutySlow")
    assert slow["expr"].endswith("> 3")


@pytest.mark.tools
def test_alerts_and_dashboard_name_only_exported_metrics(production: Objects) -> None:
    exported = _exported()
    dashboard = json.loads((CHART / "files" / "dashboard.json").read_text())
    expressions = [rule["expr"] for rule in _rules(production)]
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    named = set().union(*(_named_metrics(expression) for expression in expressions))
    assert named
    assert named <= exported, sorted(named - exported)
    for expression in expressions[len(_rules(production)) :]:
        promql_parser.parse(expression.replace("$__rate_interval", "5m"))


@pytest.mark.tools
def test_the_dashboard_ships_in_a_configmap_and_shows_the_alerted_metrics(production: Objects) -> None:
    (config_map,) = [
        d for d in production if d["kind"] == "ConfigMap" and "dashboard" in d["metadata"]["name"]
    ]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["oncall-scheduler.json"])
    assert dashboard["uid"] == "oncall-scheduler"
    shown = set().union(*(_named_metrics(t["expr"]) for p in dashboard["panels"] for t in p["targets"]))
    alerted = set().union(*(_named_metrics(rule["expr"]) for rule in _rules(production)))
    strip = {name.removesuffix(suffix) for name in alerted for suffix in _SUFFIXES if name.endswith(suffix)}
    assert alerted - strip <= shown | {f"{n}_bucket" for n in strip}


@pytest.mark.tools
def test_the_service_monitor_scrapes_every_service_at_metrics(production: Objects) -> None:
    (monitor,) = [d for d in production if d["kind"] == "ServiceMonitor"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == oncall_platform.metrics.METRICS_PATH
    assert endpoint["port"] == "http"
    selector = monitor["spec"]["selector"]["matchLabels"]
    services = [d for d in production if d["kind"] == "Service"]
    assert len(services) == 4
    for service in services:
        assert selector.items() <= service["metadata"]["labels"].items()
        assert [port["name"] for port in service["spec"]["ports"]] == ["http"]
