"""`run_periodically`, the loop of the periodic background tasks: it runs at once and then every
interval, a failure is logged and retried, and `stop` ends the wait without another run."""

from __future__ import annotations

import asyncio
import logging

import pytest

from oncall_platform.periodic import run_periodically


async def test_runs_at_once_retries_after_a_failure_and_stops_between_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    runs: list[int] = []

    async def task() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("database down")
        if len(runs) == 3:
            stop.set()

    with caplog.at_level(logging.WARNING, logger="oncall_platform.periodic"):
        await asyncio.wait_for(run_periodically(task, 0.01, stop, "prune the widgets"), 5)

    assert runs == [0, 1, 2]
    assert [record.getMessage() for record in caplog.records] == [
        "could not prune the widgets; trying again later"
    ]
    assert caplog.records[0].exc_info is not None


async def test_a_stop_ends_the_wait_for_the_next_run() -> None:
    stop = asyncio.Event()
    runs = 0

    async def task() -> None:
        nonlocal runs
        runs += 1

    loop = asyncio.create_task(run_periodically(task, 3600, stop, "wait an hour"))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, 1)
    assert runs == 1


async def test_nothing_runs_once_stopped() -> None:
    stop = asyncio.Event()
    stop.set()

    async def task() -> None:
        raise AssertionError("ran after the stop")

    await run_periodically(task, 0, stop, "never run")
