"""The unit of work port: one transaction over the service's state and its outbox."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Self

from pd_sync_service.service_layer.ports import (
    AwaitedUserRepository,
    IntegrationRepository,
    ResultOutbox,
    RotationRepository,
    ShiftRepository,
    TargetRepository,
    UserRepository,
)


class UnitOfWork(abc.ABC):
    """`async with uow:` opens a transaction; nothing is kept unless `commit()` is awaited."""

    rotations: RotationRepository
    shifts: ShiftRepository
    integrations: IntegrationRepository
    users: UserRepository
    awaited: AwaitedUserRepository
    targets: TargetRepository
    outbox: ResultOutbox

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def first_time(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Records that `consumer` applied the event; False when it had before (skip it)."""

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Drops whatever was not committed (a no-op after `commit`)."""


UnitOfWorkFactory = Callable[[], UnitOfWork]
