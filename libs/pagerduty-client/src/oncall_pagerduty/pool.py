"""Long-lived clients, one per API key and scope: a client owns a connection pool and a TLS context,
which cost more to build than the work a caller does with it."""

from __future__ import annotations

from collections.abc import Callable

from oncall_pagerduty.budget import key_fingerprint
from oncall_pagerduty.client import PagerDutyClient


class ClientPool:
    """Hands out the process's client for (API key, scope), built by `build` on first use; `scope` is
    whatever else the caller's clients differ by (a region, an account). Closed all at once at shutdown."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], PagerDutyClient] = {}

    def get(self, api_key: str, scope: str, build: Callable[[], PagerDutyClient]) -> PagerDutyClient:
        pool_key = (key_fingerprint(api_key), scope)  # never keep the key itself as a map key
        client = self._clients.get(pool_key)
        if client is None:
            client = self._clients[pool_key] = build()
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
