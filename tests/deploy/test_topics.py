"""The chart's topics are the contracts' topic declaration (libs/contracts), rendered, never edited."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import pytest
from deploy_chart import ROOT

from oncall_contracts.topics import KNOWN_CONSUMER_GROUPS, Topics

Objects = list[dict[str, Any]]


def _renderer() -> ModuleType:  # a script, not a package: load it by path
    spec = importlib.util.spec_from_file_location(
        "render_topics", ROOT / "deploy" / "helm" / "render_topics.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_chart_topic_file_is_the_contracts_declaration() -> None:
    renderer = _renderer()
    assert renderer.TOPICS_FILE.read_text() == renderer.render(), (
        "run: uv run python deploy/helm/render_topics.py"
    )


@pytest.mark.tools
def test_the_rendered_kafka_topics_are_the_declared_topics(production: Objects) -> None:
    rendered = {d["spec"]["topicName"]: d["spec"] for d in production if d["kind"] == "KafkaTopic"}
    declared = {spec.name: spec for spec in Topics(replication_factor=3).specs()}
    assert rendered.keys() == declared.keys()
    for name, spec in declared.items():
        assert rendered[name]["partitions"] == spec.partitions
        assert rendered[name]["replicas"] == spec.replication_factor
        assert rendered[name]["config"] == spec.config


def test_every_consumer_group_gets_a_dead_letter_topic_it_may_write() -> None:
    access = _renderer().topic_file()["access"]
    topics = Topics()
    assert set(access) == set(KNOWN_CONSUMER_GROUPS)
    for group, rights in access.items():
        assert topics.dead_letter(group) in rights["writes"]
        assert rights["group"] == group
