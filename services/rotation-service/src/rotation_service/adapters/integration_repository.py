"""PagerDuty integration settings and sync status rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from oncall_contracts.values import PagerDutyAccount, SealedCredential
from rotation_service.adapters.tables import IntegrationRow, SyncStatusRow, UserProvisioningRow
from rotation_service.domain.integration import Integration, Mode, SyncStatus, UserProvisioning


def _to_integration(row: IntegrationRow) -> Integration:
    mode: Mode = "own" if row.mode == "own" else "merge"
    return Integration(
        rotation_id=row.rotation_id,
        mode=mode,
        target_rotation_id=row.target_rotation_id,
        schedule_name=row.schedule_name,
        account=PagerDutyAccount(subdomain=row.subdomain, region="eu" if row.region == "eu" else "us"),
        credential=SealedCredential(
            key_id=row.credential_key_id, nonce=row.credential_nonce, ciphertext=row.credential_ciphertext
        ),
        configured_at=row.configured_at,
    )


class SqlIntegrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, rotation_id: str) -> Integration | None:
        row = await self._session.get(IntegrationRow, rotation_id)
        return None if row is None else _to_integration(row)

    async def all(self) -> list[Integration]:
        rows = (await self._session.execute(select(IntegrationRow))).scalars().all()
        return [_to_integration(row) for row in rows]

    async def merged_into(self, target_rotation_id: str) -> list[Integration]:
        statement = select(IntegrationRow).where(
            col(IntegrationRow.target_rotation_id) == target_rotation_id, col(IntegrationRow.mode) == "merge"
        )
        return [_to_integration(row) for row in (await self._session.execute(statement)).scalars().all()]

    async def put(self, integration: Integration) -> None:
        await self.remove(integration.rotation_id)
        self._session.add(
            IntegrationRow(
                rotation_id=integration.rotation_id,
                mode=integration.mode,
                target_rotation_id=integration.target_rotation_id,
                schedule_name=integration.schedule_name,
                subdomain=integration.account.subdomain,
                region=integration.account.region,
                credential_key_id=integration.credential.key_id,
                credential_nonce=integration.credential.nonce,
                credential_ciphertext=integration.credential.ciphertext,
                configured_at=integration.configured_at,
            )
        )

    async def remove(self, rotation_id: str) -> None:
        await self._session.execute(
            delete(IntegrationRow).where(col(IntegrationRow.rotation_id) == rotation_id)
        )
        await self._session.flush()


class SqlSyncStatusRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def for_rotation(self, rotation_id: str) -> list[SyncStatus]:
        statement = (
            select(SyncStatusRow)
            .where(col(SyncStatusRow.rotation_id) == rotation_id)
            .order_by(col(SyncStatusRow.role))
        )
        rows: Sequence[SyncStatusRow] = (await self._session.execute(statement)).scalars().all()
        return [SyncStatus(**row.model_dump()) for row in rows]

    async def record_synced(
        self,
        rotation_id: str,
        role: str,
        *,
        schedule_id: str,
        schedule_url: str,
        layer_ids: list[str],
        synced_until: datetime,
        at: datetime,
    ) -> None:
        row = await self._row(rotation_id, role)
        row.schedule_id, row.schedule_url, row.layer_ids = schedule_id, schedule_url, list(layer_ids)
        row.synced_until, row.last_synced_at = synced_until, at
        row.last_error, row.last_error_retryable, row.last_error_at = None, None, None
        row.waiting_for, row.waiting_reported_at = [], None

    async def record_failed(
        self, rotation_id: str, role: str, *, reason: str, retryable: bool, at: datetime
    ) -> None:
        row = await self._row(rotation_id, role)
        row.last_error, row.last_error_retryable, row.last_error_at = reason, retryable, at
        row.waiting_for, row.waiting_reported_at = [], None

    async def record_waiting(
        self, rotation_id: str, role: str, *, waiting_for: list[str], at: datetime
    ) -> None:
        row = await self._row(rotation_id, role)
        row.waiting_for, row.waiting_reported_at = list(waiting_for), at

    async def clear(self, rotation_id: str) -> None:
        await self._session.execute(
            delete(SyncStatusRow).where(col(SyncStatusRow.rotation_id) == rotation_id)
        )

    async def _row(self, rotation_id: str, role: str) -> SyncStatusRow:
        row = await self._session.get(SyncStatusRow, (rotation_id, role), with_for_update=True)
        if row is None:
            row = SyncStatusRow(rotation_id=rotation_id, role=role)
            self._session.add(row)
        return row


class SqlUserProvisioningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, outcome: UserProvisioning) -> None:
        key = (outcome.account_key, outcome.email)
        row = await self._session.get(UserProvisioningRow, key, with_for_update=True)
        if row is None:
            self._session.add(UserProvisioningRow(**asdict(outcome)))
        elif row.at <= outcome.at:
            row.provisioned, row.reason, row.retryable, row.at = (
                outcome.provisioned,
                outcome.reason,
                outcome.retryable,
                outcome.at,
            )

    async def for_emails(self, account_key: str, emails: Iterable[str]) -> dict[str, UserProvisioning]:
        wanted = sorted(set(emails))
        if not wanted:
            return {}
        statement = select(UserProvisioningRow).where(
            col(UserProvisioningRow.account_key) == account_key, col(UserProvisioningRow.email).in_(wanted)
        )
        rows: Sequence[UserProvisioningRow] = (await self._session.execute(statement)).scalars().all()
        return {row.email: UserProvisioning(**row.model_dump()) for row in rows}
