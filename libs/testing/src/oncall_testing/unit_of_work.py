"""The in-memory unit of work every service's fakes extend (the SQL one is
`oncall_platform.unit_of_work.SqlUnitOfWork`).

It works on a copy of the committed state and replaces that state on commit, so what a use case does
without committing (or before it raised) is lost, as in the database. A service's fake only attaches
its in-memory repositories to the working copy (`attach`).
"""

from __future__ import annotations

import abc
import copy
import uuid
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from oncall_platform import unit_of_work


class InboxState(Protocol):
    processed: set[tuple[str, uuid.UUID]]  # (consumer, event id): the inbox


S = TypeVar("S", bound=InboxState)


class InMemoryDatabase(Generic[S]):
    """The committed state the units of work start from and replace."""

    def __init__(self, committed: S) -> None:
        self.committed = committed
        self.commits = 0


class InMemoryUnitOfWork(unit_of_work.UnitOfWork, Generic[S]):
    working: S

    def __init__(self, database: InMemoryDatabase[S]) -> None:
        self.database = database
        self._ending = False

    @abc.abstractmethod
    def attach(self, working: S) -> None:
        """Give the unit its repositories, on the working copy of the state."""

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    def _begin(self) -> None:
        self.working = copy.deepcopy(self.database.committed)
        self.attach(self.working)

    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        seen = (consumer, event_id) in self.working.processed
        self.working.processed.add((consumer, event_id))
        return not seen

    async def commit(self) -> None:
        self.database.committed = self.working
        self.database.commits += 1
        self._begin()

    async def rollback(self) -> None:
        if not self._ending:
            self._begin()
        # else the unit ends: what it did not commit goes with its working copy, and the next
        # `async with` copies the committed state afresh (copying it here too was most of the cost)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._ending = True
        try:
            await super().__aexit__(exc_type, exc, traceback)  # the rollback, then close
        finally:
            self._ending = False
