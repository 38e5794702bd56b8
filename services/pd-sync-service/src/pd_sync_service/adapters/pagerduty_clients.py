"""The sync's PagerDuty clients: one long-lived client per API key and region."""

from __future__ import annotations

from collections.abc import Callable

from oncall_pagerduty import ClientPool, PagerDutyClient

ClientFactory = Callable[[str, str], PagerDutyClient]  # (api_key, region) -> a new client


class PagerDutyClients:
    """`(api_key, region) -> client` over a `ClientPool`; `aclose` closes them all at shutdown."""

    def __init__(self, new_client: ClientFactory) -> None:
        self._new_client = new_client
        self._pool = ClientPool()

    def __call__(self, api_key: str, region: str) -> PagerDutyClient:
        return self._pool.get(api_key, region, lambda: self._new_client(api_key, region))

    async def aclose(self) -> None:
        await self._pool.aclose()
