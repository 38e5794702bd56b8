"""A skip, xfail or xpass fails the run unless the allow-list names it with a why."""

from __future__ import annotations

import pytest

from oncall_testing.skip_allowlist import Entry, parse_allowlist

pytest_plugins = ["pytester"]

TESTS = """
import pytest

def test_passes():
    pass

@pytest.mark.skipif(True, reason="needs a GPU")
def test_skipped():
    pass

def test_skipped_inside():
    pytest.skip("not today")

@pytest.mark.xfail(reason="known bug 7")
def test_xfails():
    assert False

@pytest.mark.xfail(reason="known bug 8")
def test_xpasses():
    pass
"""


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def _run(pytester: pytest.Pytester, allowlist: str | None) -> pytest.RunResult:
    pytester.makepyfile(test_mod=TESTS)
    if allowlist is not None:
        pytester.mkdir("tests")
        (pytester.path / "tests" / "skip-allowlist.txt").write_text(allowlist, encoding="utf-8")
    return pytester.runpytest("-p", "oncall_testing.plugin", "-p", "no:cacheprovider")


def test_unlisted_skips_and_xfails_fail_the_run_and_are_listed(pytester: pytest.Pytester) -> None:
    result = _run(pytester, allowlist=None)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, skipped=2, xfailed=1, xpassed=1)
    result.stdout.fnmatch_lines(
        [
            "*= 4 skipped/xfail not on the allow-list =*",
            "SKIPPED test_mod.py::test_skipped: needs a GPU",
            "SKIPPED test_mod.py::test_skipped_inside: not today",
            "XFAILED test_mod.py::test_xfails: known bug 7",
            "XPASSED test_mod.py::test_xpasses: known bug 8",
            "Remove the skip, or add its node id*",
        ]
    )


def test_listed_skips_and_xfails_do_not_fail_the_run(pytester: pytest.Pytester) -> None:
    allowlist = """# header comment
test_mod.py::test_skipped  # a GPU is not part of the product
reason: not to*  # matched on the reason
test_mod.py::test_x*  # both xfail tests, by pattern
"""
    result = _run(pytester, allowlist)

    assert result.ret == pytest.ExitCode.OK
    assert "not on the allow-list" not in result.stdout.str()


def test_one_unlisted_skip_among_listed_ones_fails_the_run(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "test_mod.py::test_skipped  # why\ntest_mod.py::test_x*  # why\n")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*= 1 skipped/xfail not on the allow-list =*"])
    assert "SKIPPED test_mod.py::test_skipped_inside: not today" in result.stdout.lines


def test_a_module_skipped_at_collection_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_gone="import pytest\npytest.importorskip('no_such_module_here')\n")
    pytester.makepyfile(test_here="def test_passes():\n    pass\n")

    result = pytester.runpytest("-p", "oncall_testing.plugin", "-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["SKIPPED test_gone.py: *no_such_module_here*"])


def test_an_entry_without_a_why_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "# fine\ntest_mod.py::test_skipped\n")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*skip-allowlist.txt:2: `test_mod.py::test_skipped` says no why*"])


def test_parse_allowlist_reads_node_ids_and_reasons() -> None:
    assert parse_allowlist("\n# c\na.py::t  # w1\nreason: needs *  # w2\n") == [
        Entry("a.py::t", on_reason=False, why="w1"),
        Entry("needs *", on_reason=True, why="w2"),
    ]
