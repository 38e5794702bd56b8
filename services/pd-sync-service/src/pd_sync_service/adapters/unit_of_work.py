"""The SQL unit of work: one database transaction behind the service layer's `UnitOfWork` port."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall_platform.inbox import record_once
from pd_sync_service.adapters.outbox import Outbox
from pd_sync_service.adapters.repositories import (
    SqlAwaitedUserRepository,
    SqlIntegrationRepository,
    SqlRotationRepository,
    SqlShiftRepository,
    SqlTargetRepository,
    SqlUserRepository,
)
from pd_sync_service.service_layer.unit_of_work import UnitOfWork


class _TransactionOutbox:
    """The outbox, writing into this unit of work's transaction."""

    def __init__(self, outbox: Outbox, session: AsyncSession) -> None:
        self._outbox, self._session = outbox, session
        self.added = 0

    def add(self, payloads: Iterable[Any]) -> None:
        listed = list(payloads)
        self._outbox.add(self._session, listed)
        self.added += len(listed)


class SqlUnitOfWork(UnitOfWork):
    """A commit that added sync results wakes the outbox relay."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession], outbox: Outbox) -> None:
        self._sessions, self._outbox = sessions, outbox

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self.rotations = SqlRotationRepository(self.session)
        self.shifts = SqlShiftRepository(self.session)
        self.integrations = SqlIntegrationRepository(self.session)
        self.users = SqlUserRepository(self.session)
        self.awaited = SqlAwaitedUserRepository(self.session)
        self.targets = SqlTargetRepository(self.session)
        self._results = _TransactionOutbox(self._outbox, self.session)
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
        await self.session.commit()
        if self._results.added:
            self._outbox.wake()

    async def rollback(self) -> None:
        if self.session.in_transaction():
            await self.session.rollback()
