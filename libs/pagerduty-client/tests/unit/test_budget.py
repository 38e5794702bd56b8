from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_pagerduty.budget import STEADY_SHARE, BudgetRegistry, RequestBudget, key_fingerprint
from oncall_testing.clock import FakeMonotonicClock as FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _send_times(budget: RequestBudget, clock: FakeClock, count: int) -> list[float]:
    async def run() -> list[float]:
        times = []
        for _ in range(count):
            await budget.acquire()
            times.append(clock.now)
        return times

    return asyncio.run(run())


def test_a_burst_is_served_at_once_then_requests_are_spaced(clock: FakeClock) -> None:
    budget = RequestBudget(960, burst=120, clock=clock, sleep=clock.sleep)

    times = _send_times(budget, clock, 122)

    assert times[:120] == [1000.0] * 120
    assert budget.interval == 60 / (960 - 120)
    assert times[120] - 1000.0 == pytest.approx(budget.interval)
    assert times[121] - times[120] == pytest.approx(budget.interval)


@settings(max_examples=30, deadline=None)
@given(
    limit=st.integers(min_value=10, max_value=960),
    share=st.sampled_from([1.0, 0.5, 0.25]),
    count=st.integers(min_value=1, max_value=2500),
)
def test_no_sixty_second_window_exceeds_the_share_of_the_limit(limit: int, share: float, count: int) -> None:
    clock = FakeClock()
    budget = RequestBudget(limit, share=share, clock=clock, sleep=clock.sleep)

    times = _send_times(budget, clock, count)

    allowance = max(2.0, limit * share)
    start = 0
    for end, sent_at in enumerate(times):
        while sent_at - times[start] >= 60.0 - 1e-9:
            start += 1
        assert end - start + 1 <= allowance


def test_remaining_zero_pauses_until_the_reset(clock: FakeClock) -> None:
    budget = RequestBudget(960, clock=clock, sleep=clock.sleep)

    budget.observe(remaining=0, reset=5.0)
    times = _send_times(budget, clock, 1)

    assert times == [1005.0]


def test_a_key_ahead_of_the_steady_line_waits_until_the_line_catches_up(clock: FakeClock) -> None:
    budget = RequestBudget(960, burst=100, clock=clock, sleep=clock.sleep)

    budget.observe(remaining=460, reset=30.0)  # 500 used half-way: the steady line is at 470.4

    assert budget.available() == 0
    steady_per_second = 960 * STEADY_SHARE / 60
    assert _send_times(budget, clock, 1) == [
        pytest.approx(1000.0 + (500 - 30 * steady_per_second) / steady_per_second)
    ]


def test_never_waits_past_the_reset_when_a_window_is_nearly_spent(clock: FakeClock) -> None:
    budget = RequestBudget(960, burst=100, clock=clock, sleep=clock.sleep)

    budget.observe(remaining=3, reset=5.0)  # far ahead of the line, but the window ends in 5 s

    assert _send_times(budget, clock, 2) == [1005.0, 1005.0]


def test_a_pause_delays_every_waiting_caller(clock: FakeClock) -> None:
    budget = RequestBudget(960, clock=clock, sleep=clock.sleep)

    budget.pause(7.5)

    assert budget.available() == 0
    assert _send_times(budget, clock, 1) == [1007.5]


def test_a_key_behind_the_steady_line_sends_at_once_up_to_the_bucket(clock: FakeClock) -> None:
    budget = RequestBudget(960, burst=10, clock=clock, sleep=clock.sleep)

    budget.observe(remaining=900, reset=30.0)  # 60 used half-way: far behind the line

    times = _send_times(budget, clock, 12)
    assert times[:10] == [1000.0] * 10
    assert times[10] - times[9] == pytest.approx(budget.interval)


def test_the_local_bucket_still_caps_a_process_the_headers_would_let_go_faster(clock: FakeClock) -> None:
    budget = RequestBudget(960, burst=10, clock=clock, sleep=clock.sleep)

    budget.observe(remaining=959, reset=1.0)  # PagerDuty would take 959 in the next second
    times = _send_times(budget, clock, 12)

    assert times[9] == times[0]  # the burst
    assert times[11] - times[10] == pytest.approx(budget.interval)  # then the bucket's refill


def test_waiters_keep_their_arrival_order_when_a_new_answer_changes_the_pace(clock: FakeClock) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    budget = RequestBudget(960, burst=100, clock=clock, sleep=record)
    budget.observe(remaining=10, reset=10.0)  # far ahead of the line: wait for the reset

    async def run() -> list[float]:
        first = [await budget.acquire() for _ in range(3)]
        budget.observe(remaining=900, reset=50.0)  # a fresh window: yet never before reserved slots
        return [*first, await budget.acquire()]

    assert asyncio.run(run()) == pytest.approx([10.0, 10.0, 10.0, 10.0])


def test_a_lone_default_budget_sustains_more_than_95_percent_of_the_limit(clock: FakeClock) -> None:
    budget = RequestBudget(960, clock=clock, sleep=clock.sleep)

    times = _send_times(budget, clock, 5 * 960)

    assert (times[-1] - times[0]) / 60.0 <= 5 / 0.95


def test_the_registry_shares_one_budget_per_key_and_never_stores_the_key() -> None:
    registry = BudgetRegistry(share=0.5)

    first = registry.for_key("u+secretkey1")
    again = registry.for_key("u+secretkey1")
    other = registry.for_key("u+secretkey2")

    assert first is again
    assert first is not other
    assert "u+secretkey1" not in repr(registry._budgets)
    assert key_fingerprint("u+secretkey1") in registry._budgets
    assert len(key_fingerprint("u+secretkey1")) == 12


def test_a_key_is_busy_while_its_requests_wait_and_for_a_while_after(clock: FakeClock) -> None:
    budget = RequestBudget(960, burst=2, clock=clock, sleep=clock.sleep)
    _send_times(budget, clock, 2)  # the burst: nothing waited
    assert not budget.busy()

    _send_times(budget, clock, 1)  # waited for the bucket to refill
    assert budget.busy(within=5.0)
    clock.now += 5.0
    assert not budget.busy(within=5.0)
