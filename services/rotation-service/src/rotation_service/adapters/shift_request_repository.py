"""Shift requests in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from rotation_service.adapters.tables import ShiftRequestRow
from rotation_service.domain.model import Role
from rotation_service.domain.shift_requests import RequestKind, RequestState, ShiftRequest


def _to_request(row: ShiftRequestRow) -> ShiftRequest:
    return ShiftRequest(
        id=row.id,
        rotation_id=row.rotation_id,
        kind=cast(RequestKind, row.kind),
        shift_id=row.shift_id,
        role=cast(Role, row.role),
        requested_by=row.requested_by,
        requested_of=row.requested_of,
        created_at=row.created_at,
        expires_at=row.expires_at,
        other_shift_id=row.other_shift_id,
        state=cast(RequestState, row.state),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        forced=row.forced,
    )


class SqlShiftRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, request_id: str) -> ShiftRequest | None:
        row = await self._session.get(ShiftRequestRow, request_id)
        return None if row is None else _to_request(row)

    async def put(self, request: ShiftRequest) -> None:
        row = await self._session.get(ShiftRequestRow, request.id)
        if row is None:
            row = ShiftRequestRow(
                id=request.id,
                rotation_id=request.rotation_id,
                kind=request.kind,
                shift_id=request.shift_id,
                other_shift_id=request.other_shift_id,
                role=request.role,
                requested_by=request.requested_by,
                requested_of=request.requested_of,
                state=request.state,
                created_at=request.created_at,
                expires_at=request.expires_at,
            )
        row.state = request.state
        row.decided_by = request.decided_by
        row.decided_at = request.decided_at
        row.forced = request.forced
        self._session.add(row)
        await self._session.flush()

    async def pending(self, rotation_id: str, involving: str | None = None) -> list[ShiftRequest]:
        if involving is None:  # every change to a rotation asks: the statement is built once
            result = await self._session.execute(_PENDING_OF, {"rotation_id": rotation_id})
            return [_to_request(row) for row in result.scalars().all()]
        statement = select(ShiftRequestRow).where(
            col(ShiftRequestRow.rotation_id) == rotation_id, col(ShiftRequestRow.state) == "pending"
        )
        statement = statement.where(
            or_(
                col(ShiftRequestRow.requested_by) == involving,
                col(ShiftRequestRow.requested_of) == involving,
            )
        )
        statement = statement.order_by(col(ShiftRequestRow.created_at), col(ShiftRequestRow.id))
        return [_to_request(row) for row in (await self._session.execute(statement)).scalars().all()]

    async def pending_involving(self, email: str, limit: int) -> list[ShiftRequest]:
        statement = (
            select(ShiftRequestRow)
            .where(
                col(ShiftRequestRow.state) == "pending",
                or_(col(ShiftRequestRow.requested_by) == email, col(ShiftRequestRow.requested_of) == email),
            )
            .order_by(col(ShiftRequestRow.created_at), col(ShiftRequestRow.id))
            .limit(limit)
        )
        return [_to_request(row) for row in (await self._session.execute(statement)).scalars().all()]

    async def due(self, now: datetime, limit: int) -> list[ShiftRequest]:
        statement = (
            select(ShiftRequestRow)
            .where(col(ShiftRequestRow.state) == "pending", col(ShiftRequestRow.expires_at) <= now)
            .order_by(col(ShiftRequestRow.expires_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_to_request(row) for row in (await self._session.execute(statement)).scalars().all()]


_PENDING_OF = (
    select(ShiftRequestRow)
    .where(
        col(ShiftRequestRow.rotation_id) == sa.bindparam("rotation_id"),
        col(ShiftRequestRow.state) == "pending",
    )
    .order_by(col(ShiftRequestRow.created_at), col(ShiftRequestRow.id))
)
