"""Applies pd-sync-service's ScheduleSynced / ScheduleSyncFailed to the sync status users see."""

from __future__ import annotations

from typing import Any

from oncall_contracts.envelope import Envelope
from oncall_contracts.pagerduty.v1 import ScheduleSynced, ScheduleSyncFailed
from rotation_service.service_layer.clock import Clock
from rotation_service.service_layer.unit_of_work import UnitOfWorkFactory

CONSUMER = "rotation-service"


class SyncStatusRecorder:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    async def apply(self, envelope: Envelope[Any]) -> bool:
        """Records one result event once (by event id); returns False for events it does not track."""
        payload = envelope.payload
        if not isinstance(payload, ScheduleSynced | ScheduleSyncFailed):
            return False
        async with self._uow() as uow:
            if not await uow.first_time(CONSUMER, envelope.event_id):
                return False
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
            else:
                await uow.sync_status.record_failed(
                    payload.rotation_id,
                    payload.role,
                    reason=payload.reason,
                    retryable=payload.retryable,
                    at=envelope.occurred_at,
                )
            await uow.commit()
        return True
