"""Where the chart and its values files are, and what the chart is rendered for (tests/deploy)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = ROOT / "tests" / "deploy"
CHART = ROOT / "deploy" / "helm" / "oncall-scheduler"
PRODUCTION_VALUES = ROOT / "deploy" / "helm" / "values-production.yaml"
REQUIRED_VALUES = HERE / "required-values.yaml"
BROKEN_VALUES = HERE / "broken-values.yaml"
KUBERNETES_VERSION = "1.31.0"  # rendered for, and validated against (kubernetes-validate's schemas)

Render = Callable[..., subprocess.CompletedProcess[str]]
