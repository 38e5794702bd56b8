"""The key check remembers a key that passed for a while, so configuring many rotations with one key
does not spend that key's requests on the same question again."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import pytest

from oncall_pagerduty.key_check import KeyChecker, KeyRefused


class CountingPagerDuty:
    """The two answers a check reads, from the account `acme`; counts the requests asked."""

    def __init__(self) -> None:
        self.requests = 0

    def client(self, api_key: str, region: str) -> Any:
        return self

    async def __aenter__(self) -> CountingPagerDuty:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def get(self, path: str, params: Any = None) -> dict[str, Any]:
        self.requests += 1
        await asyncio.sleep(0)  # an answer takes a turn of the loop, as over a network
        return {"users": [{"id": "PADA", "html_url": "https://acme.pagerduty.com/users/PADA"}]}

    async def post(self, path: str, json: Any = None) -> dict[str, Any]:
        self.requests += 1
        return {"schedule": {}}


async def test_a_key_that_passed_is_not_asked_about_again_until_the_pass_expires() -> None:
    pagerduty, now = CountingPagerDuty(), [0.0]
    checker = KeyChecker(pagerduty.client, remember_for=900.0, clock=lambda: now[0])

    await checker.check("acme", "us", "key-one")
    await checker.check("ACME", "us", "key-one")
    assert pagerduty.requests == 2  # one check: a user, then the write probe

    await checker.check("acme", "us", "key-two")  # another key is checked
    assert pagerduty.requests == 4
    now[0] = 901.0
    await checker.check("acme", "us", "key-one")  # expired: checked again
    assert pagerduty.requests == 6


async def test_a_refused_key_is_never_remembered() -> None:
    pagerduty = CountingPagerDuty()
    checker = KeyChecker(pagerduty.client)

    for _ in range(2):
        with pytest.raises(KeyRefused):
            await checker.check("other", "us", "key-one")  # the key opens acme, not other
    assert pagerduty.requests == 2


async def test_checks_of_one_key_made_at_once_ask_pagerduty_once() -> None:
    pagerduty = CountingPagerDuty()
    checker = KeyChecker(pagerduty.client)

    await asyncio.gather(*(checker.check("acme", "us", "key-one") for _ in range(20)))
    assert pagerduty.requests == 2
    await asyncio.gather(checker.check("acme", "us", "key-two"), checker.check("acme", "eu", "key-two"))
    assert pagerduty.requests == 6  # other triples are checked on their own


async def test_checks_waiting_on_a_refused_key_are_refused_too() -> None:
    pagerduty = CountingPagerDuty()
    checker = KeyChecker(pagerduty.client)

    outcomes = await asyncio.gather(
        *(checker.check("other", "us", "key-one") for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(outcome, KeyRefused) for outcome in outcomes)
