"""The unit of work port: one transaction holding the aggregate changes and their outbox events."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Self

from rotation_service.service_layer.ports import (
    EventOutbox,
    IntegrationRepository,
    RotationRepository,
    SyncStatusRepository,
    UserProvisioningRepository,
)


class UnitOfWork(abc.ABC):
    """`async with uow:` opens a transaction; nothing is kept unless `commit()` is awaited."""

    rotations: RotationRepository
    integrations: IntegrationRepository
    sync_status: SyncStatusRepository
    user_provisioning: UserProvisioningRepository
    outbox: EventOutbox

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
