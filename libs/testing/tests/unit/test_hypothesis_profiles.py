"""Property tests are reproducible by default (`ci`) and run 20x their examples at random (`deep`)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PROPERTIES = """
import os
from hypothesis import given, settings, strategies as st

def _record(name, x):
    with open(os.path.join(os.environ["DRAWN_DIR"], name), "a") as drawn:
        drawn.write(f"{x}\\n")

@settings(max_examples=3)
@given(st.integers())
def test_three(x):
    _record("three", x)

@given(st.integers())
def test_default(x):
    _record("default", x)
"""


@pytest.fixture
def drawn(pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_props=PROPERTIES)
    directory = tmp_path / "drawn"
    directory.mkdir()
    monkeypatch.setenv("DRAWN_DIR", str(directory))
    return directory


def _run(pytester: pytest.Pytester, drawn: Path, *args: str) -> tuple[pytest.RunResult, dict[str, list[str]]]:
    for old in drawn.iterdir():
        old.unlink()
    result = pytester.runpytest("-p", "oncall_testing.plugin", "-p", "no:cacheprovider", *args)
    return result, {path.name: path.read_text().splitlines() for path in drawn.iterdir()}


def test_the_default_profile_draws_the_same_examples_every_run(
    pytester: pytest.Pytester, drawn: Path
) -> None:
    first, first_drawn = _run(pytester, drawn)
    second, second_drawn = _run(pytester, drawn)

    assert first.ret == second.ret == pytest.ExitCode.OK
    assert (len(first_drawn["three"]), len(first_drawn["default"])) == (3, 100)
    assert first_drawn == second_drawn
    first.stdout.fnmatch_lines(["hypothesis profile 'ci': 2 property tests ran 103 passing examples"])


def test_the_deep_profile_runs_twenty_times_the_examples_at_random(
    pytester: pytest.Pytester, drawn: Path
) -> None:
    first, first_drawn = _run(pytester, drawn, "--hypothesis-profile=deep", "-k", "three")
    second, second_drawn = _run(pytester, drawn, "--hypothesis-profile=deep", "-k", "three")

    assert first.ret == second.ret == pytest.ExitCode.OK
    assert len(first_drawn["three"]) == len(second_drawn["three"]) == 60
    assert first_drawn != second_drawn
    first.stdout.fnmatch_lines(["hypothesis profile 'deep': 1 property tests ran 60 passing examples"])


def test_a_test_without_its_own_count_runs_twenty_times_the_default_in_deep(
    pytester: pytest.Pytester, drawn: Path
) -> None:
    result, recorded = _run(pytester, drawn, "--hypothesis-profile=deep", "-k", "default")

    assert result.ret == pytest.ExitCode.OK
    assert len(recorded["default"]) == 2000


def test_a_failure_prints_the_blob_that_reproduces_it(pytester: pytest.Pytester, drawn: Path) -> None:
    pytester.makepyfile(
        test_fails="from hypothesis import given, strategies as st\n\n"
        "@given(st.integers())\ndef test_small(x):\n    assert x < 10\n"
    )
    result, _ = _run(pytester, drawn, "test_fails.py")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*@reproduce_failure(*"])
