"""Applies pd-sync-service's sync results (synced, failed, waiting for users) and user-provisioner's
outcomes (a user provisioned or not, and why) to the sync status users see."""

from __future__ import annotations

from typing import Any

from oncall_contracts.envelope import Envelope
from oncall_contracts.pagerduty.v1 import (
    PagerDutyUserProvisioned,
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
    UserProvisioningFailed,
)
from oncall_platform.clock import Clock
from rotation_service.domain.integration import UserProvisioning
from rotation_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory

HANDLED_EVENTS = (
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
    PagerDutyUserProvisioned,
    UserProvisioningFailed,
)


_SYNC_RESULTS = (ScheduleSynced, ScheduleSyncFailed, ScheduleSyncWaiting)


class SyncStatusRecorder:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    def unit_of_work(self) -> UnitOfWork:
        return self._uow()

    async def apply(self, uow: UnitOfWork, envelope: Envelope[Any]) -> None:
        """Records one result event in `uow` (the consumer pipeline de-duplicates by event id and
        commits)."""
        payload = envelope.payload
        if isinstance(payload, _SYNC_RESULTS) and not await self._still_synced(uow, payload.rotation_id):
            return
        if isinstance(payload, ScheduleSynced):
            await uow.sync_status.record_synced(
                payload.rotation_id,
                payload.role,
                schedule_id=payload.schedule_id,
                schedule_url=payload.schedule_url,
                layer_ids=list(payload.layer_ids),
                synced_until=payload.synced_until,
                at=envelope.occurred_at,
            )
        elif isinstance(payload, ScheduleSyncFailed):
            await uow.sync_status.record_failed(
                payload.rotation_id,
                payload.role,
                reason=payload.reason,
                retryable=payload.retryable,
                at=envelope.occurred_at,
            )
        elif isinstance(payload, ScheduleSyncWaiting):
            await uow.sync_status.record_waiting(
                payload.rotation_id,
                payload.role,
                waiting_for=list(payload.waiting_for),
                at=envelope.occurred_at,
            )
        elif isinstance(payload, PagerDutyUserProvisioned):
            await uow.user_provisioning.record(
                UserProvisioning(payload.account.key, payload.email, True, None, None, envelope.occurred_at)
            )
        elif isinstance(payload, UserProvisioningFailed):
            await uow.user_provisioning.record(
                UserProvisioning(
                    payload.account.key,
                    payload.email,
                    False,
                    payload.reason,
                    payload.retryable,
                    envelope.occurred_at,
                )
            )

    @staticmethod
    async def _still_synced(uow: UnitOfWork, rotation_id: str) -> bool:
        """Whether the rotation exists and has its integration. A result still on its way when the
        rotation or its integration was removed (and its statuses with it) is dropped: recorded, it
        would stay. Held, not just read: the deletion and the integration's removal lock the rotation,
        so neither commits between this check and the status written."""
        if not await uow.rotations.hold(rotation_id):
            return False
        return await uow.integrations.get(rotation_id) is not None
