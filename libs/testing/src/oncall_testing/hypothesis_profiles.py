"""Hypothesis profiles for every suite: `ci` (active by default) and `deep` (`make test-deep`).

`ci` is reproducible: derandomized (each test's seed derives from the test itself), no example
database (a local database would replay old failures on one machine only), no wall-clock deadline
and no too_slow health check (both measure the machine's load, not the code), and the blob to
reproduce a failure is printed.

`deep` draws random examples and runs DEEP_FACTOR times each test's own number of examples: a test's
explicit `max_examples` is scaled at collection, a test without one gets DEEP_FACTOR times the
default. Every run ends with a line counting the examples the property tests ran.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import HealthCheck, is_hypothesis_test, settings

CI_PROFILE = "ci"
DEEP_PROFILE = "deep"
DEEP_FACTOR = 20
CI_MAX_EXAMPLES = 100

_COMMON: dict[str, Any] = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow],
}
settings.register_profile(
    CI_PROFILE, derandomize=True, database=None, max_examples=CI_MAX_EXAMPLES, **_COMMON
)
settings.register_profile(
    DEEP_PROFILE, derandomize=False, max_examples=CI_MAX_EXAMPLES * DEEP_FACTOR, **_COMMON
)

# "- 60 passing, 0 failing, and 2 invalid test cases": one line per phase in Hypothesis' statistics.
_PHASE_COUNTS = re.compile(r"- (\d+) passing, (\d+) failing, and (\d+) invalid")
_STATE = pytest.StashKey[dict[str, Any]]()


@pytest.hookimpl(tryfirst=True)  # before Hypothesis' own plugin loads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = {"previous": settings.get_current_profile_name(), "examples": {}}
    if not config.getoption("--hypothesis-profile", None):
        settings.load_profile(CI_PROFILE)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        settings.load_profile(state["previous"])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if settings.get_current_profile_name() != DEEP_PROFILE:
        return
    default = settings.get_profile(DEEP_PROFILE).max_examples
    scaled: set[int] = set()
    for item in items:
        function = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        if function is None or not is_hypothesis_test(function) or id(function) in scaled:
            continue
        scaled.add(id(function))
        # The attribute Hypothesis keeps a test's settings in (its own pytest plugin rewrites it too).
        own = function._hypothesis_internal_use_settings
        if own.max_examples != default:
            function._hypothesis_internal_use_settings = settings(
                own, max_examples=own.max_examples * DEEP_FACTOR
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    yield
    statistics = getattr(item, "hypothesis_statistics", None)
    if call.when == "call" and isinstance(statistics, str):
        examples = sum(int(passing) for passing, _, _ in _PHASE_COUNTS.findall(statistics))
        item.config.stash[_STATE]["examples"][item.nodeid] = examples


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    examples: dict[str, int] = config.stash[_STATE]["examples"]
    if examples:
        terminalreporter.write_line(
            f"hypothesis profile {settings.get_current_profile_name()!r}: {len(examples)} property "
            f"tests ran {sum(examples.values()):,} passing examples"
        )
