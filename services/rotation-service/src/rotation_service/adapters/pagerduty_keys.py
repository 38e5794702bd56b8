"""Checking a PagerDuty API key before it is saved: `oncall_pagerduty.key_check`, its refusals as the
service layer's errors."""

from __future__ import annotations

from oncall_contracts.values import PagerDutyAccount
from oncall_pagerduty.key_check import ClientFactory, KeyChecker, KeyCheckUnavailable
from oncall_pagerduty.key_check import KeyRefused as CheckFailed
from rotation_service.service_layer.errors import KeyRefused, PagerDutyUnavailable


class PagerDutyKeyChecker:
    def __init__(self, client_for: ClientFactory) -> None:
        self._checker = KeyChecker(client_for)

    async def check(self, account: PagerDutyAccount, api_key: str) -> None:
        try:
            await self._checker.check(account.subdomain, account.region, api_key)
        except CheckFailed as refusal:
            raise KeyRefused(refusal.check, refusal.message) from None
        except KeyCheckUnavailable as error:
            raise PagerDutyUnavailable(str(error)) from None
