"""The subset script: `generate` writes what `check` accepts, and `check` fails on any difference.

The committed subset stands in for PagerDuty's full document: the subset of it is itself.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from pagerduty_sim.openapi_subset import subset_path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "openapi_subset.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_subset_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def full_document(tmp_path: Path) -> Path:
    x_source = json.loads(subset_path().read_text(encoding="utf-8"))["info"]["x-source"]
    (tmp_path / "SOURCE.md").write_text(
        f"repo: {x_source['repository']}\npath: {x_source['path']}\ncommit: {x_source['commit']}\n",
        encoding="utf-8",
    )
    return Path(shutil.copy(subset_path(), tmp_path / "openapiv3.json"))


def test_check_accepts_the_committed_subset(full_document: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main(["check", str(full_document)]) == 0
    assert "is the subset of openapiv3.json" in capsys.readouterr().out


def test_check_fails_when_the_subset_differs(
    full_document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "stale.json"
    stale.write_text(subset_path().read_text(encoding="utf-8").replace('"Schedule"', '"Rota"', 1))

    assert _script().main(["check", str(full_document), "--output", str(stale)]) == 1
    assert "differs from the subset of openapiv3.json" in capsys.readouterr().err


def test_generate_writes_what_check_accepts(full_document: Path, tmp_path: Path) -> None:
    (tmp_path / "SOURCE.md").write_text("repo: r\npath: p\ncommit: 0123\n", encoding="utf-8")
    output = tmp_path / "subset.json"

    assert _script().main(["generate", str(full_document), "--output", str(output)]) == 0
    assert _script().main(["check", str(full_document), "--output", str(output)]) == 0
    assert json.loads(output.read_text(encoding="utf-8"))["info"]["x-source"]["commit"] == "0123"
    assert _script().main(["check", str(full_document)]) == 1  # the committed one names another commit
