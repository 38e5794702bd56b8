"""The Kubernetes topic manifest is the contracts' topic declaration, rendered (never edited by hand)."""

import importlib.util
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"


def _renderer():  # the script is run, not imported as a package, so load it by path
    spec = importlib.util.spec_from_file_location("render_topics", DEPLOY / "render_topics.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_topic_manifest_matches_the_contracts() -> None:
    committed = (DEPLOY / "topics.yaml").read_text()
    assert committed == _renderer().render_all(), "run: uv run python deploy/kubernetes/render_topics.py"


def test_every_declared_topic_is_in_the_manifest_with_its_partitions() -> None:
    from oncall_contracts.topics import Topics

    committed = (DEPLOY / "topics.yaml").read_text()
    for spec in Topics().specs():
        assert f"topicName: {spec.name}\n  partitions: {spec.partitions}\n" in committed
