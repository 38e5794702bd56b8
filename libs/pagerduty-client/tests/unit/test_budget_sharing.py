"""Processes sharing one API key through PagerDuty's ratelimit headers, in simulated time.

Each "process" is a `RequestBudget` with a few eager workers that send requests back to back to a
fake fixed-window server (the simulator's rules: 60 s windows, each starting at the key's first request
after the previous one expired; refused requests are not counted). The workers treat the answers as
`PagerDutyClient` does: `observe(remaining, reset)` after a served request, `pause(reset)` on a 429.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from dataclasses import dataclass, field

from oncall_pagerduty.budget import RequestBudget

LIMIT = 960
WINDOW = 60.0
ROUND_TRIP = 0.08  # seconds from sending a request to reading its answer
WORKERS_PER_PROCESS = 4  # the provisioner's concurrency per account
SIMULATED_SECONDS = 300.0


class VirtualTime:
    """A clock that jumps to the next sleeper's wake-up once every task is asleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake_up: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), wake_up))
        await wake_up

    async def run_until(self, end: float, tasks: list[asyncio.Task[None]]) -> None:
        while True:
            await self._until_all_asleep(tasks)
            if self._sleepers[0][0] > end:
                return
            self.now = self._sleepers[0][0]
            while self._sleepers and self._sleepers[0][0] <= self.now:
                heapq.heappop(self._sleepers)[2].set_result(None)

    async def _until_all_asleep(self, tasks: list[asyncio.Task[None]]) -> None:
        for _ in range(1000):
            if len(self._sleepers) == len(tasks):
                return
            for task in tasks:
                if task.done():
                    task.result()  # a worker failed: raise its error here
            await asyncio.sleep(0)
        raise AssertionError("a worker neither sleeps nor finishes")


@dataclass
class ServedWindow:
    started: float
    served: int = 0


@dataclass
class FixedWindowServer:
    """One key's rate limit, as pagerduty_sim.ratelimit.RateLimiter counts it (on float seconds)."""

    limit: int = LIMIT
    windows: list[ServedWindow] = field(default_factory=list)
    served_at: list[float] = field(default_factory=list)
    refused: int = 0

    def check(self, now: float) -> tuple[bool, int, int]:
        """(served, ratelimit-remaining, ratelimit-reset) for a request arriving at `now`."""
        if not self.windows or now >= self.windows[-1].started + WINDOW:
            self.windows.append(ServedWindow(started=now))
        window = self.windows[-1]
        reset = max(1, math.ceil(window.started + WINDOW - now))
        if window.served >= self.limit:
            self.refused += 1
            return False, 0, reset
        window.served += 1
        self.served_at.append(now)
        return True, self.limit - window.served, reset

    def complete_windows(self, end: float) -> list[ServedWindow]:
        return [window for window in self.windows if window.started + WINDOW <= end]

    def longest_quiet_gap(self) -> float:
        """The longest time between two served requests: how long the key's users may be held up."""
        return max(later - earlier for earlier, later in itertools.pairwise(self.served_at))

    def busiest_sliding_minute(self) -> int:
        start, busiest = 0, 0
        for end, at in enumerate(self.served_at):
            while at - self.served_at[start] >= WINDOW:
                start += 1
            busiest = max(busiest, end - start + 1)
        return busiest


@dataclass
class Process:
    budget: RequestBudget
    served: int = 0


async def _eager_worker(
    process: Process, server: FixedWindowServer, time: VirtualTime, join_at: float
) -> None:
    await time.sleep(join_at)
    while True:
        await process.budget.acquire()
        await time.sleep(ROUND_TRIP / 2)
        served, remaining, reset = server.check(time.now)
        await time.sleep(ROUND_TRIP / 2)
        if served:
            process.served += 1
            process.budget.observe(remaining, reset)
        else:
            process.budget.pause(reset)


def _share_one_key(
    process_count: int, join_at: tuple[float, ...] = ()
) -> tuple[FixedWindowServer, list[Process]]:
    """Run `process_count` eager processes with default budgets against one key, process i starting at
    `join_at[i]` (default 0); return what happened."""
    starts = [*join_at, *[0.0] * process_count][:process_count]
    time, server = VirtualTime(), FixedWindowServer()
    processes = [Process(RequestBudget(LIMIT, clock=time, sleep=time.sleep)) for _ in range(process_count)]

    async def run() -> None:
        await _run_for_the_simulated_time(
            time,
            [
                asyncio.create_task(_eager_worker(process, server, time, start))
                for process, start in zip(processes, starts, strict=True)
                for _ in range(WORKERS_PER_PROCESS)
            ],
        )

    asyncio.run(run())
    return server, processes


async def _run_for_the_simulated_time(time: VirtualTime, tasks: list[asyncio.Task[None]]) -> None:
    try:
        await time.run_until(SIMULATED_SECONDS, tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_a_process_alone_keeps_a_steady_pace_near_the_whole_limit_without_refusals() -> None:
    server, _ = _share_one_key(process_count=1)

    windows = server.complete_windows(SIMULATED_SECONDS)
    assert len(windows) >= 4
    assert all(window.served >= 0.95 * LIMIT for window in windows), [w.served for w in windows]
    assert server.refused == 0
    assert server.busiest_sliding_minute() <= LIMIT
    assert server.longest_quiet_gap() < 1.0


def test_two_eager_processes_share_the_key_without_exceeding_it() -> None:
    server, processes = _share_one_key(process_count=2)

    windows = server.complete_windows(SIMULATED_SECONDS)
    assert len(windows) >= 4
    # The server refuses (and does not count) what a window cannot hold, so "never more than 960 a
    # window" shows as refusals: a few reservations made just before the window runs dry.
    assert server.refused <= 0.01 * len(server.served_at)
    assert server.busiest_sliding_minute() <= LIMIT
    assert all(window.served >= 0.90 * LIMIT for window in windows), [w.served for w in windows]
    first, second = (process.served for process in processes)
    assert min(first, second) >= 0.4 * (first + second)  # neither process starves the other
    # What remains is spread over the rest of each window, rather than spent at once followed by a
    # wait for the reset that would hold up every caller of the key.
    assert server.longest_quiet_gap() < 5.0


def test_a_process_joining_mid_window_keeps_every_minute_within_the_limit() -> None:
    # The provisioner has spent most of a window alone when the sync starts creating schedules: a
    # pace of "what remains over what is left of the window" would let both spend at full speed at
    # the next window's start, right after the first one's busy end.
    server, processes = _share_one_key(process_count=2, join_at=(0.0, 50.0))

    assert server.busiest_sliding_minute() <= LIMIT
    assert server.refused <= 0.01 * len(server.served_at)
    assert all(w.served >= 0.90 * LIMIT for w in server.complete_windows(SIMULATED_SECONDS))
    assert processes[1].served >= 0.3 * sum(p.served for p in processes)


def test_a_key_idle_for_half_a_window_does_not_catch_up_in_a_burst() -> None:
    # A key used once at the start of PagerDuty's window, then idle until two processes get busy
    # halfway through it (the sync waiting for users, then syncing): being far behind the steady line
    # must not let them spend the missed half at once, right before the next window's full pace.
    time, server = VirtualTime(), FixedWindowServer()
    processes = [Process(RequestBudget(LIMIT, clock=time, sleep=time.sleep)) for _ in range(2)]

    async def one_request_then_idle() -> None:
        served, _, _ = server.check(time.now)
        assert served
        await time.sleep(10 * SIMULATED_SECONDS)

    async def run() -> None:
        tasks = [asyncio.create_task(one_request_then_idle())]
        tasks += [
            asyncio.create_task(_eager_worker(process, server, time, 30.0))
            for process in processes
            for _ in range(WORKERS_PER_PROCESS)
        ]
        await _run_for_the_simulated_time(time, tasks)

    asyncio.run(run())
    assert server.busiest_sliding_minute() <= LIMIT
    assert all(w.served >= 0.90 * LIMIT for w in server.complete_windows(SIMULATED_SECONDS)[1:])
