"""The SQL unit of work: the platform's SQL transaction with this service's repositories."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from oncall_contracts import Envelope
from oncall_platform import unit_of_work
from oncall_platform.outbox import PendingEvents
from pd_sync_service.adapters.repositories import (
    SqlAwaitedUserRepository,
    SqlIntegrationRepository,
    SqlRotationRepository,
    SqlShiftRepository,
    SqlTargetRepository,
    SqlUserRepository,
)
from pd_sync_service.service_layer.unit_of_work import UnitOfWork

PRODUCER = "pd-sync-service"


class PendingResults:
    """The `ResultOutbox` port: sync results, as this service's events, for the unit's outbox."""

    def __init__(self, pending: PendingEvents) -> None:
        self._pending = pending

    def add(self, payloads: Iterable[Any]) -> None:
        self._pending.add_all(Envelope.new(payload, producer=PRODUCER) for payload in payloads)


class SqlUnitOfWork(unit_of_work.SqlUnitOfWork, UnitOfWork):
    async def attach(self, session: AsyncSession) -> None:
        self.rotations = SqlRotationRepository(session)
        self.shifts = SqlShiftRepository(session)
        self.integrations = SqlIntegrationRepository(session)
        self.users = SqlUserRepository(session)
        self.awaited = SqlAwaitedUserRepository(session)
        self._targets = SqlTargetRepository(session)
        self.targets = self._targets
        self.outbox = PendingResults(self.events)

    async def commit(self) -> None:
        """The dirty marks kept by the targets repository are written first, in target order."""
        await self._targets.apply_marks()
        await super().commit()
