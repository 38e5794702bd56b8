"""Long-lived PagerDuty clients, one per (API key, region): a client owns a connection pool and a TLS
context, which cost more to build than a whole schedule sync."""

from __future__ import annotations

from collections.abc import Callable

from oncall_pagerduty import PagerDutyClient, key_fingerprint

ClientFactory = Callable[[str, str], PagerDutyClient]  # (api_key, region) -> a new client


class PagerDutyClients:
    """Hands out the process's client for a key and region; `aclose` closes them all at shutdown."""

    def __init__(self, new_client: ClientFactory) -> None:
        self._new_client = new_client
        self._clients: dict[tuple[str, str], PagerDutyClient] = {}

    def __call__(self, api_key: str, region: str) -> PagerDutyClient:
        cache_key = (key_fingerprint(api_key), region)  # never keep the key itself as a map key
        client = self._clients.get(cache_key)
        if client is None:
            client = self._clients[cache_key] = self._new_client(api_key, region)
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
