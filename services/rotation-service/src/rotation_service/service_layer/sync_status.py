"""Applies pd-sync-service's ScheduleSynced / ScheduleSyncFailed to the sync status users see."""

from __future__ import annotations

from typing import Any

from oncall_contracts.envelope import Envelope
from oncall_contracts.pagerduty.v1 import ScheduleSynced, ScheduleSyncFailed
from oncall_platform.clock import Clock
from rotation_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory

HANDLED_EVENTS = (ScheduleSynced, ScheduleSyncFailed)


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
