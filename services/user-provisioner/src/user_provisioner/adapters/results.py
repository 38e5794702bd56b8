"""Publishes provisioning outcomes to the PagerDuty stream (key = account key)."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from oncall_contracts import (
    Envelope,
    PagerDutyAccount,
    PagerDutyUserProvisioned,
    Topics,
    UserProvisioningFailed,
)
from oncall_platform.kafka import publish_event
from user_provisioner.domain.model import Account, Member, PagerDutyUser

PRODUCER = "user-provisioner"


class KafkaResultPublisher:
    def __init__(self, broker: KafkaBroker, topics: Topics) -> None:
        self._broker = broker
        self._topics = topics

    async def provisioned(self, account: Account, user: PagerDutyUser, member: Member) -> None:
        payload = PagerDutyUserProvisioned(
            account=_account(account), email=member.email, user_id=user.id, name=user.name or member.name
        )
        await publish_event(self._broker, self._topics, Envelope.new(payload, producer=PRODUCER))

    async def failed(self, account: Account, email: str, reason: str, *, retryable: bool) -> None:
        payload = UserProvisioningFailed(
            account=_account(account), email=email, reason=reason, retryable=retryable
        )
        await publish_event(self._broker, self._topics, Envelope.new(payload, producer=PRODUCER))


def _account(account: Account) -> PagerDutyAccount:
    return PagerDutyAccount(subdomain=account.subdomain, region=account.region)
