"""The unit of work, the cosmicpython way: one port base every service's port extends, and one SQL
adapter base every service's SQL unit of work extends.

A service's port (`service_layer/unit_of_work.py`) subclasses `UnitOfWork` and declares only its
repositories; its SQL adapter subclasses `SqlUnitOfWork` and that port, and only attaches its SQL
repositories to the session (`attach`). The transaction, the inbox (`first_time`), the events
collected for the outbox, commit and rollback are written here once.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from oncall_platform.inbox import record_new, record_once
from oncall_platform.outbox import Outbox, PendingEvents


class UnitOfWork(abc.ABC):
    """`async with uow:` opens a transaction; nothing is kept unless `commit()` is awaited."""

    async def __aenter__(self) -> Self:
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
            await self.close()

    async def close(self) -> None:
        """Releases what the unit holds (its connection), after the rollback of what it left."""
        return  # an in-memory unit holds nothing

    @abc.abstractmethod
    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Records that `consumer` applied the event; False when it had before (skip it)."""

    async def first_times(self, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """`first_time` for a batch: records them all, returns the ids not applied before."""
        new: set[uuid.UUID] = set()
        for event_id in dict.fromkeys(event_ids):
            if await self.first_time(consumer, event_id):
                new.add(event_id)
        return new

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Drops whatever was not committed (a no-op after `commit`)."""


class SqlUnitOfWork(UnitOfWork):
    """One database transaction on a session of its own. The events its use case adds to `events`
    are written to the outbox in that transaction at `commit`; `after_commit` runs after a commit
    that wrote any (it wakes the outbox relay)."""

    session: AsyncSession
    events: PendingEvents

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox | None = None,
        after_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions, self._outbox, self._after_commit = sessions, outbox, after_commit

    @abc.abstractmethod
    async def attach(self, session: AsyncSession) -> None:
        """Give the unit its repositories, on `session` (called once the transaction has begun)."""

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        try:
            await self.session.begin()
            self.events = PendingEvents()
            await self.attach(self.session)
        except BaseException:
            await self.session.close()
            raise
        return self

    async def close(self) -> None:
        await self.session.close()

    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        return await record_once(self.session, consumer, event_id)

    async def first_times(self, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        return await record_new(self.session, consumer, event_ids)  # one statement for the batch

    async def commit(self) -> None:
        pending = self.events.take()
        if pending and self._outbox is None:
            raise RuntimeError("events were added to a unit of work that has no outbox")
        added = await self._outbox.add(self.session, pending) if self._outbox is not None else 0
        await self.session.commit()
        if added:
            self._after_commit()

    async def rollback(self) -> None:
        self.events.take()
        if self.session.in_transaction():
            await self.session.rollback()
