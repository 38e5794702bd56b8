"""The SQL unit of work: the platform's SQL transaction with this service's repositories."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from oncall_platform import unit_of_work
from rotation_service.adapters.integration_repository import (
    SqlIntegrationRepository,
    SqlSyncStatusRepository,
    SqlUserProvisioningRepository,
)
from rotation_service.adapters.rotation_repository import SqlRotationRepository
from rotation_service.adapters.shift_request_repository import SqlShiftRequestRepository
from rotation_service.service_layer.unit_of_work import UnitOfWork


class SqlUnitOfWork(unit_of_work.SqlUnitOfWork, UnitOfWork):
    async def attach(self, session: AsyncSession) -> None:
        self.rotations = SqlRotationRepository(session)
        self.integrations = SqlIntegrationRepository(session)
        self.sync_status = SqlSyncStatusRepository(session)
        self.user_provisioning = SqlUserProvisioningRepository(session)
        self.shift_requests = SqlShiftRequestRepository(session)
        self.outbox = self.events
