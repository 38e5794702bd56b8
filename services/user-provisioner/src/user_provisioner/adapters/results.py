"""The provisioning outcomes announced on the PagerDuty stream (key = account key)."""

from __future__ import annotations

from typing import Any

from oncall_contracts import Envelope, PagerDutyAccount, PagerDutyUserProvisioned, UserProvisioningFailed
from user_provisioner.domain.model import Account, Member, PagerDutyUser

PRODUCER = "user-provisioner"


def provisioned(account: Account, user: PagerDutyUser, member: Member) -> Envelope[Any]:
    payload = PagerDutyUserProvisioned(
        account=_account(account), email=member.email, user_id=user.id, name=user.name or member.name
    )
    return Envelope.new(payload, producer=PRODUCER)


def failed(account: Account, email: str, reason: str, *, retryable: bool) -> Envelope[Any]:
    payload = UserProvisioningFailed(
        account=_account(account), email=email, reason=reason, retryable=retryable
    )
    return Envelope.new(payload, producer=PRODUCER)


def _account(account: Account) -> PagerDutyAccount:
    return PagerDutyAccount(subdomain=account.subdomain, region=account.region)
