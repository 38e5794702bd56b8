"""Run a service's console command as a separate process, the way `make run` and Kubernetes do:
`<command> migrate`, then `<command> serve` with its log in a file whose every line must be JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

BIN = Path(sys.executable).parent


def migrate(command: str, env: Mapping[str, str], *, timeout: float = 120.0) -> None:
    """`<command> migrate`; fails with its output when it does not exit 0."""
    done = subprocess.run(
        [str(BIN / command), "migrate"], env=dict(env), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command} migrate exited {done.returncode}:\n{done.stderr[-3000:]}"


def serve(command: str, env: Mapping[str, str], log: IO[str]) -> subprocess.Popen[bytes]:
    """Start `<command> serve` with stdout and stderr in `log`."""
    return subprocess.Popen(
        [str(BIN / command), "serve"], env=dict(env), stdout=log, stderr=subprocess.STDOUT
    )


def json_log(path: Path) -> list[dict[str, Any]]:
    """Every line of the log at `path`, parsed; a line that is not a JSON object fails the test."""
    lines: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"log line {number} is not JSON: {line[:300]!r}") from None
        assert isinstance(parsed, dict), f"log line {number} is not a JSON object: {line[:300]!r}"
        lines.append(parsed)
    return lines
