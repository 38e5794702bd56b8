"""CPU use per second of every process that shares the machine during a latency run.

The services' totals say what a change costs; this says *when* the CPU went, so a slow 10 s window
can be laid beside the process that was busy in it (a periodic task, autovacuum, the broker). Groups:
each service process by name, and the machine's PostgreSQL backends and Java processes (the broker)
summed, read from /proc (reading only, nothing is signalled).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from localsystem.processes import pid_cpu_seconds


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _by_pid(comm_groups: dict[str, str]) -> dict[str, float]:
    """CPU seconds so far of every process in a group, keyed "group/pid" (backends come and go)."""
    totals: dict[str, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        group = comm_groups.get(_comm(pid))
        if group is None:
            continue
        seconds = pid_cpu_seconds(pid)
        if seconds is not None:
            totals[f"{group}/{pid}"] = seconds
    return totals


class CpuSampler:
    """Samples once a second until stopped; `per_second()` gives cores used in each second."""

    def __init__(self, services: Callable[[], dict[str, float | None]], interval_s: float = 1.0) -> None:
        self._services = services
        self._interval_s = interval_s
        self._readings: list[dict[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu sampler", daemon=True)
        self._comm_groups = {"postgres": "postgres", "java": "kafka (java)"}

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _read(self) -> dict[str, float]:
        reading = {name: s for name, s in self._services().items() if s is not None}
        own = pid_cpu_seconds(os.getpid())
        if own is not None:
            reading["bench (measuring)"] = own
        reading.update(_by_pid(self._comm_groups))
        return reading

    def _run(self) -> None:
        started = time.monotonic()
        self._readings.append(self._read())
        tick = 1
        while not self._stop.wait(max(0.0, started + tick * self._interval_s - time.monotonic())):
            self._readings.append(self._read())
            tick += 1
        self._readings.append(self._read())

    def per_second(self) -> dict[str, list[float]]:
        """Per group, the cores it used in each interval (1.0 = one core busy the whole second)."""
        pairs = list(zip(self._readings, self._readings[1:], strict=False))
        groups = sorted({key.split("/")[0] for reading in self._readings for key in reading})
        series: dict[str, list[float]] = {group: [] for group in groups}
        for before, after in pairs:
            used = dict.fromkeys(groups, 0.0)
            for key, seconds in after.items():  # a process that started in the interval counts from 0
                used[key.split("/")[0]] += seconds - before.get(key, 0.0)
            for group in groups:
                series[group].append(round(used[group] / self._interval_s, 2))
        return series
