"""The SQL unit of work: one database transaction behind the service layer's `UnitOfWork` port."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall_platform.inbox import record_once
from oncall_platform.outbox import Outbox, PendingEvents
from rotation_service.adapters.integration_repository import (
    SqlIntegrationRepository,
    SqlSyncStatusRepository,
    SqlUserProvisioningRepository,
)
from rotation_service.adapters.rotation_repository import SqlRotationRepository
from rotation_service.service_layer.unit_of_work import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    """`after_commit` runs after a commit that added outbox events (it wakes the relay)."""

    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._after_commit = after_commit

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self.rotations = SqlRotationRepository(self.session)
        self.integrations = SqlIntegrationRepository(self.session)
        self.sync_status = SqlSyncStatusRepository(self.session)
        self.user_provisioning = SqlUserProvisioningRepository(self.session)
        self._events = PendingEvents()
        self.outbox = self._events
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
        added = await self._outbox.add(self.session, self._events.take())
        await self.session.commit()
        if added:
            self._after_commit()

    async def rollback(self) -> None:
        if self.session.in_transaction():
            await self.session.rollback()
