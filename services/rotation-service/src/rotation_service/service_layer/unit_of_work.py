"""The unit of work port: one transaction holding the aggregate changes and their outbox events."""

from __future__ import annotations

from collections.abc import Callable

from oncall_platform import unit_of_work
from rotation_service.service_layer.ports import (
    EventOutbox,
    IntegrationRepository,
    RotationRepository,
    ShiftRequestRepository,
    SyncStatusRepository,
    UserProvisioningRepository,
)


class UnitOfWork(unit_of_work.UnitOfWork):
    """The repositories a use case works with, and the events it publishes when it commits."""

    rotations: RotationRepository
    integrations: IntegrationRepository
    sync_status: SyncStatusRepository
    user_provisioning: UserProvisioningRepository
    shift_requests: ShiftRequestRepository
    outbox: EventOutbox


UnitOfWorkFactory = Callable[[], UnitOfWork]
