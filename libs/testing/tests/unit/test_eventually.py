from __future__ import annotations

import pytest

from oncall_testing.eventually import eventually, eventually_sync


async def test_eventually_returns_the_first_truthy_value() -> None:
    answers = iter([None, 0, "ready"])

    async def check() -> str | int | None:
        return next(answers)

    assert await eventually(check, within=5, what="ready", interval=0) == "ready"


async def test_eventually_fails_with_the_last_value_and_error() -> None:
    calls = 0

    async def check() -> int:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise ValueError("not yet")
        return 0

    with pytest.raises(AssertionError, match=r"waiting for the answer; last value: 0"):
        await eventually(check, within=0.05, what="the answer", interval=0.01)


def test_eventually_sync_keeps_the_last_exception() -> None:
    def check() -> bool:
        raise LookupError("missing")

    with pytest.raises(AssertionError, match=r"last error: LookupError: missing"):
        eventually_sync(check, within=0.05, what="a row", interval=0.01)
