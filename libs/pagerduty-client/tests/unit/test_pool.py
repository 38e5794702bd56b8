"""One long-lived client per API key and scope."""

from __future__ import annotations

import asyncio

from oncall_pagerduty import ClientPool, PagerDutyClient, key_fingerprint


def test_one_client_per_key_and_scope_built_once_and_closed_at_shutdown() -> None:
    pool, built = ClientPool(), []

    def build(key: str) -> PagerDutyClient:
        client = PagerDutyClient(key)
        built.append(client)
        return client

    first = pool.get("u+key-one", "us", lambda: build("u+key-one"))
    assert pool.get("u+key-one", "us", lambda: build("u+key-one")) is first
    other_scope = pool.get("u+key-one", "eu", lambda: build("u+key-one"))
    other_key = pool.get("u+key-two", "us", lambda: build("u+key-two"))
    assert len(built) == 3
    assert other_scope is not first
    assert other_key is not first
    assert "u+key-one" not in repr(pool._clients)
    assert (key_fingerprint("u+key-one"), "us") in pool._clients

    asyncio.run(pool.aclose())
    assert all(client._http.is_closed for client in built)
    assert pool.get("u+key-one", "us", lambda: build("u+key-one")) is not first  # a fresh one after close
