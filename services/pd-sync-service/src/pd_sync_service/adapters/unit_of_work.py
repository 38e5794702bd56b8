"""The SQL unit of work: one database transaction behind the service layer's `UnitOfWork` port."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall_contracts import Envelope
from oncall_platform.inbox import record_once
from oncall_platform.outbox import Outbox, PendingEvents
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
    """The sync results of one unit of work, written to the platform outbox in its transaction."""

    def __init__(self) -> None:
        self.pending = PendingEvents()

    def add(self, payloads: Iterable[Any]) -> None:
        self.pending.add_all(Envelope.new(payload, producer=PRODUCER) for payload in payloads)


class SqlUnitOfWork(UnitOfWork):
    """A commit that added sync results runs `after_commit` (it wakes the outbox relay)."""

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions, self._outbox, self._after_commit = sessions, outbox, after_commit

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self.rotations = SqlRotationRepository(self.session)
        self.shifts = SqlShiftRepository(self.session)
        self.integrations = SqlIntegrationRepository(self.session)
        self.users = SqlUserRepository(self.session)
        self.awaited = SqlAwaitedUserRepository(self.session)
        self.targets = SqlTargetRepository(self.session)
        self._results = PendingResults()
        self.outbox = self._results
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            await self.session.close()

    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        return await record_once(self.session, consumer, event_id)

    async def commit(self) -> None:
        added = await self._outbox.add(self.session, self._results.pending.take())
        await self.session.commit()
        if added:
            self._after_commit()

    async def rollback(self) -> None:
        if self.session.in_transaction():
            await self.session.rollback()
