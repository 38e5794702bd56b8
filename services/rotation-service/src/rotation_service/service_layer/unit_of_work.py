"""The unit of work: one database transaction holding the aggregate changes and their outbox events."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rotation_service.adapters.integration_repository import SqlIntegrationRepository, SqlSyncStatusRepository
from rotation_service.adapters.outbox import SqlOutbox
from rotation_service.adapters.rotation_repository import SqlRotationRepository


class SqlUnitOfWork:
    """`async with uow:` opens a transaction; nothing is kept unless `commit()` is awaited."""

    rotations: SqlRotationRepository
    integrations: SqlIntegrationRepository
    sync_status: SqlSyncStatusRepository
    outbox: SqlOutbox
    session: AsyncSession

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        rotation_topic: str,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._rotation_topic = rotation_topic
        self._after_commit = after_commit

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.rotations = SqlRotationRepository(self.session)
        self.integrations = SqlIntegrationRepository(self.session)
        self.sync_status = SqlSyncStatusRepository(self.session)
        self.outbox = SqlOutbox(self.session, self._rotation_topic)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self.session.in_transaction():
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        if self.outbox.added:
            self._after_commit()


UnitOfWorkFactory = Callable[[], SqlUnitOfWork]
