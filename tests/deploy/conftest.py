"""Rendering the Helm chart with the helm the project installs (deploy/local/tools.sh)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_chart import CHART, KUBERNETES_VERSION, PRODUCTION_VALUES, REQUIRED_VALUES, ROOT, Render


@pytest.fixture(scope="session")
def helm() -> str:
    paths = subprocess.run(
        [str(ROOT / "deploy" / "local" / "tools.sh"), "paths"], capture_output=True, text=True, check=True
    ).stdout
    binary = dict(line.split("=", 1) for line in paths.splitlines())["HELM"]
    if not Path(binary).is_file():
        pytest.fail(
            f"helm is not installed at {binary}: run `deploy/local/tools.sh install` (make test does)"
        )
    return binary


@pytest.fixture(scope="session")
def run_helm(helm: str) -> Render:
    def run(
        *arguments: str, values: Sequence[Path] = (), sets: Sequence[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        command = [helm, *arguments, str(CHART), "--kube-version", KUBERNETES_VERSION]
        for file in values:
            command += ["-f", str(file)]
        for assignment in sets:
            command += ["--set", assignment]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture(scope="session")
def render(run_helm: Render) -> Callable[..., list[dict[str, Any]]]:
    def rendered(values: Sequence[Path] = (), sets: Sequence[str] = ()) -> list[dict[str, Any]]:
        result = run_helm("template", "oncall", values=values, sets=sets)
        assert result.returncode == 0, result.stderr
        return [document for document in yaml.safe_load_all(result.stdout) if document]

    return rendered


@pytest.fixture(scope="session")
def production(render: Callable[..., list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return render([PRODUCTION_VALUES])


@pytest.fixture(scope="session")
def minimal(render: Callable[..., list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return render([REQUIRED_VALUES])


# The fixtures that run helm. A test using one must be marked `tools`, so `make unit` (which has no
# helm) leaves it out while `make test` runs it.
HELM_FIXTURES = frozenset({"helm", "run_helm", "render", "production", "minimal"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(here):
            continue
        uses = HELM_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses and item.get_closest_marker("tools") is None:
            raise pytest.UsageError(f"{item.nodeid} uses {sorted(uses)}: mark it @pytest.mark.tools")
