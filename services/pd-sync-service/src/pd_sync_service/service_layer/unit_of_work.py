"""The unit of work port: one transaction over the service's state and its outbox."""

from __future__ import annotations

from collections.abc import Callable

from oncall_platform import unit_of_work
from pd_sync_service.service_layer.ports import (
    AwaitedUserRepository,
    IntegrationRepository,
    ResultOutbox,
    RotationRepository,
    ShiftRepository,
    TargetRepository,
    UserRepository,
)


class UnitOfWork(unit_of_work.UnitOfWork):
    """The repositories the folding and the reconciler work with, and the results they publish."""

    rotations: RotationRepository
    shifts: ShiftRepository
    integrations: IntegrationRepository
    users: UserRepository
    awaited: AwaitedUserRepository
    targets: TargetRepository
    outbox: ResultOutbox


UnitOfWorkFactory = Callable[[], UnitOfWork]
