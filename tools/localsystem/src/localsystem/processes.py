"""Supervising child processes by pid: start with a log file, wait for an HTTP probe, stop cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class ProcessFailed(RuntimeError):
    """A child process exited or did not become ready in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    probe_url: str | None = None
    cwd: Path | None = None


@dataclass
class ManagedProcess:
    """One child process we started; `stop` ends exactly this pid (SIGTERM, then SIGKILL)."""

    spec: ProcessSpec
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise ProcessFailed(f"{self.spec.name} was never started")
        return self.popen.pid

    def start(self) -> None:
        self.spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.spec.log_path.open("ab") as log:
            # Own session: Ctrl-C reaches only the supervisor, which stops the children in order.
            self.popen = subprocess.Popen(
                self.spec.argv,
                env=self.spec.env,
                cwd=self.spec.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Poll the probe URL until it answers 2xx; fail early when the process dies."""
        if self.spec.probe_url is None:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                raise ProcessFailed(f"{self.spec.name} exited; last log lines:\n{self.log_tail()}")
            if _answers(self.spec.probe_url):
                return
            time.sleep(0.2)
        raise ProcessFailed(f"{self.spec.name} not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM, wait, SIGKILL if needed; returns the exit code (None if never started)."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL this pid and reap it (a crash, as the kernel's OOM killer or a node loss would)."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)

    def run_to_completion(self, timeout_s: float = 120.0) -> None:
        """For one-shot commands (migrations): start, wait, raise unless the exit code is 0."""
        self.start()
        assert self.popen is not None
        try:
            code = self.popen.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            raise ProcessFailed(f"{self.spec.name} still running after {timeout_s:.0f} s") from None
        if code != 0:
            raise ProcessFailed(f"{self.spec.name} exited with {code}:\n{self.log_tail()}")

    def peak_rss_bytes(self) -> int | None:
        """The kernel's high-water mark of resident memory (VmHWM) of this pid, while it runs."""
        return _status_kib(self.pid, "VmHWM")

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time this pid used so far."""
        return pid_cpu_seconds(self.pid)

    def rss_bytes(self) -> int | None:
        return _status_kib(self.pid, "VmRSS")

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.spec.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def pid_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time process `pid` used so far (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).is_success
    except httpx.HTTPError:
        return False


def _status_kib(pid: int, field_name: str) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    return None


def stop_all(processes: list[ManagedProcess]) -> None:
    """Stop in reverse start order; keep going when one fails to stop."""
    for process in reversed(processes):
        try:
            process.stop()
        except Exception as error:  # a teardown must stop the rest
            print(f"could not stop {process.spec.name} (pid {process.popen and process.popen.pid}): {error}")


def child_env(overrides: dict[str, str]) -> dict[str, str]:
    """The parent's environment minus settings a child must not inherit by accident, plus overrides."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PYTEST_"))}
    return {**inherited, "PYTHONUNBUFFERED": "1", **overrides}
