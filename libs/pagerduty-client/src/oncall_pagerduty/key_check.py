"""Checking that a PagerDuty API key serves an account, with the documented behaviour of the REST API.
The rotation service checks a key before saving it; the provisioner checks a stored key it has not
checked itself before its first use.

- Region: each service region (api.pagerduty.com, api.eu.pagerduty.com) is separate; a key of the
  other region gets 401 there.
- Subdomain: an account key cannot ask who it is (`GET /users/me` is for user tokens), but the
  `html_url` of what it reads names the account: `https://<subdomain>[.eu].pagerduty.com/...`. Every
  account has at least its owner user, so `GET /users?limit=1` tells it.
- Write: a read-only key gets 403 on any write; `POST /schedules/preview` is a write that saves
  nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from oncall_pagerduty.client import PagerDutyClient, Region
from oncall_pagerduty.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    PagerDutyError,
    PaymentRequiredError,
)


class KeyRefused(Exception):
    """PagerDuty's answers show the key cannot serve the account; `check` names the check that failed:
    "key" (PagerDuty does not accept it), "region", "subdomain" or "write" (read-only)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"the {check} check failed: {message}")
        self.check = check
        self.message = message


class KeyCheckUnavailable(Exception):
    """PagerDuty could not be asked now (rate limit, 5xx, timeout): try the check again later."""


ClientFactory = Callable[[str, Region], PagerDutyClient]
_OTHER_REGION: dict[Region, Region] = {"us": "eu", "eu": "us"}


class KeyChecker:
    """Two or three requests per check, each with a client of its own that is closed afterwards.

    A key that passed is not asked about again for `remember_for` seconds (the same key, subdomain
    and region, remembered by a hash only): configuring many rotations with one key would otherwise
    spend two of the key's requests on each, out of the budget its schedules are written with. A key
    revoked meanwhile is still caught, by the sync's first refused write. Checks of one triple made
    while it is being checked wait for that check (and pass with it, or check again if it failed)."""

    def __init__(
        self,
        client_for: ClientFactory,
        *,
        remember_for: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_for = client_for
        self._remember_for = remember_for
        self._clock = clock
        self._passed: dict[bytes, float] = {}  # hash of the checked triple -> when the pass expires
        self._checking: dict[bytes, asyncio.Lock] = {}  # the triples being checked now

    async def check(self, subdomain: str, region_name: str, api_key: str) -> None:
        """Raises `KeyRefused` or `KeyCheckUnavailable` unless the key opens `subdomain` in the region
        and can write."""
        region: Region = "eu" if region_name == "eu" else "us"
        checked = hashlib.sha256(f"{region}\n{subdomain.casefold()}\n{api_key}".encode()).digest()
        if self._passed.get(checked, -math.inf) > self._clock():
            return
        # Concurrent checks of one key (a team configuring many rotations at once) wait for the
        # first one instead of each asking PagerDuty the same question.
        lock = self._checking.setdefault(checked, asyncio.Lock())
        try:
            async with lock:
                if self._passed.get(checked, -math.inf) > self._clock():
                    return
                await self._ask(subdomain, region, api_key)
                now = self._clock()
                self._passed = {key: until for key, until in self._passed.items() if until > now}
                self._passed[checked] = now + self._remember_for
        finally:
            if not lock.locked():
                self._checking.pop(checked, None)

    async def _ask(self, subdomain: str, region: Region, api_key: str) -> None:
        async with self._client_for(api_key, region) as client:
            try:
                user = await _some_user(client)
            except AuthenticationError:
                raise await self._not_accepted(api_key, region) from None
            _require_subdomain(subdomain, user)
            await _require_write(client, str(user["id"]))

    async def _not_accepted(self, api_key: str, region: Region) -> KeyRefused:
        other = _OTHER_REGION[region]
        async with self._client_for(api_key, other) as client:
            try:
                await _some_user(client)
            except (PagerDutyError, KeyRefused):
                return KeyRefused(
                    "key", f"PagerDuty's {region.upper()} region does not accept this key (401): check it"
                )
        return KeyRefused(
            "region", f"the key opens an account in the {other.upper()} region, not {region.upper()}"
        )


async def _some_user(client: PagerDutyClient) -> dict[str, Any]:
    try:
        users = (await client.get("/users", {"limit": 1})).get("users") or []
    except AuthenticationError:
        raise
    except PagerDutyError as error:
        raise _unavailable_or_refused(error) from None
    if not users or not isinstance(users[0], dict) or not users[0].get("id"):
        raise KeyRefused("subdomain", "the key's account lists no users, so its subdomain cannot be told")
    return users[0]


def _require_subdomain(subdomain: str, user: dict[str, Any]) -> None:
    host = urlsplit(str(user.get("html_url") or "")).hostname or ""
    opened = host.split(".", 1)[0]
    if not host.endswith("pagerduty.com") or not opened:
        raise KeyRefused("subdomain", "PagerDuty's answer does not show which subdomain the key opens")
    if opened.casefold() != subdomain.casefold():
        raise KeyRefused("subdomain", f"the key opens the account {opened!r}, not {subdomain!r}")


async def _require_write(client: PagerDutyClient, user_id: str) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0).isoformat()
    layer = {
        "name": "key check",
        "start": now,
        "rotation_virtual_start": now,
        "rotation_turn_length_seconds": 86_400,
        "users": [{"user": {"id": user_id, "type": "user_reference"}}],
    }
    body = {
        "schedule": {"type": "schedule", "name": "key check", "time_zone": "UTC", "schedule_layers": [layer]}
    }
    try:
        await client.post("/schedules/preview", body)
    except ForbiddenError:
        raise KeyRefused(
            "write",
            "PagerDuty refuses this key's writes (403): it is read-only; use a full-access REST API key "
            "made by an admin or the account owner",
        ) from None
    except PaymentRequiredError:
        raise KeyRefused("write", "the account lacks the ability to manage schedules (402)") from None
    except InvalidInputError:
        return  # the write was allowed, only the probe's body was refused: the key can write
    except PagerDutyError as error:
        raise _unavailable_or_refused(error) from None


def _unavailable_or_refused(error: PagerDutyError) -> Exception:
    if error.retryable:
        return KeyCheckUnavailable(f"PagerDuty could not check the key now: {error.describe()}")
    return KeyRefused("key", f"PagerDuty refused the check: {error.describe()}")
