"""A skipped, xfailed or xpassed test fails the run unless the allow-list names it and says why.

The allow-list (ini option `skip_allowlist`, by default `tests/skip-allowlist.txt` under the rootdir)
has one entry a line: a node id (fnmatch patterns allowed) or `reason: <pattern>` matched against
the skip or xfail reason, then ` # ` and why the skip is acceptable. An entry without a why is a
usage error. An absent file is an empty list.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

INI_OPTION = "skip_allowlist"
DEFAULT_ALLOWLIST = "tests/skip-allowlist.txt"
_REASON_PREFIX = "reason:"


@dataclass(frozen=True)
class Entry:
    pattern: str
    on_reason: bool
    why: str

    def allows(self, node_id: str, reason: str) -> bool:
        return fnmatchcase(reason if self.on_reason else node_id, self.pattern)


@dataclass(frozen=True)
class Unlisted:
    node_id: str
    outcome: str
    reason: str


def parse_allowlist(text: str, origin: str = "allow-list") -> list[Entry]:
    """The entries of `text`; ValueError names the line of an entry without a why."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        target, _, why = line.partition(" # ")
        target, why = target.strip(), why.strip()
        if not why:
            raise ValueError(f"{origin}:{number}: `{line}` says no why (add ` # why` after it)")
        on_reason = target.startswith(_REASON_PREFIX)
        pattern = target.removeprefix(_REASON_PREFIX).strip() if on_reason else target
        entries.append(Entry(pattern, on_reason, why))
    return entries


def outcome_of(report: pytest.CollectReport | pytest.TestReport) -> tuple[str, str] | None:
    """("skipped" | "xfailed" | "xpassed", reason) for a report that is one of those, else None."""
    wasxfail = getattr(report, "wasxfail", None)
    if report.skipped:
        if wasxfail is not None:
            return "xfailed", str(wasxfail)
        longrepr = report.longrepr
        message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        return "skipped", message.removeprefix("Skipped: ")
    if report.passed and wasxfail is not None:
        return "xpassed", str(wasxfail)
    return None


class SkipGate:
    """Collects every skip/xfail/xpass the allow-list does not name; fails the session on any."""

    def __init__(self, entries: list[Entry], allowlist: Path) -> None:
        self.entries = entries
        self.allowlist = allowlist
        self.unlisted: list[Unlisted] = []

    def _note(self, report: pytest.CollectReport | pytest.TestReport) -> None:
        found = outcome_of(report)
        if found is None:
            return
        outcome, reason = found
        if not any(entry.allows(report.nodeid, reason) for entry in self.entries):
            self.unlisted.append(Unlisted(report.nodeid, outcome, reason))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._note(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._note(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.unlisted and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.unlisted:
            return
        terminalreporter.write_sep("=", f"{len(self.unlisted)} skipped/xfail not on the allow-list", red=True)
        for unlisted in self.unlisted:
            terminalreporter.write_line(f"{unlisted.outcome.upper()} {unlisted.node_id}: {unlisted.reason}")
        terminalreporter.write_line(
            f"Remove the skip, or add its node id or `reason: ...` with ` # why` to {self.allowlist}"
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_OPTION,
        "file of the skips and xfails allowed (one `node id # why` or `reason: ... # why` a line)",
        default=DEFAULT_ALLOWLIST,
    )


def pytest_configure(config: pytest.Config) -> None:
    allowlist = config.rootpath / str(config.getini(INI_OPTION))
    text = allowlist.read_text(encoding="utf-8") if allowlist.is_file() else ""
    try:
        entries = parse_allowlist(text, origin=str(allowlist))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    config.pluginmanager.register(SkipGate(entries, allowlist), "oncall-skip-gate")
