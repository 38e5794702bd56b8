"""Read a target schedule's inputs from the database into domain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from pd_sync_service.adapters.orm import IntegrationRow, PagerDutyUserRow, RotationRow, ShiftRow
from pd_sync_service.domain.model import Assignment, DailyWindow, RotationSource


@dataclass(frozen=True)
class TargetInputs:
    """The owner's integration, the sources in precedence order, and e-mails still unprovisioned."""

    owner: IntegrationRow
    sources: list[RotationSource]
    unknown_emails: set[str]


async def load_inputs(session: AsyncSession, target_rotation_id: str, role: str) -> TargetInputs | None:
    """None when the target's own integration is absent or removed: nothing may be written."""
    owner = await session.get(IntegrationRow, target_rotation_id)
    if owner is None or not owner.active or owner.mode != "own":
        return None
    members = list(
        await session.scalars(
            select(IntegrationRow).where(
                col(IntegrationRow.target_rotation_id) == target_rotation_id,
                col(IntegrationRow.active).is_(True),
            )
        )
    )
    members.sort(key=lambda row: (row.rotation_id != target_rotation_id, row.configured_at, row.rotation_id))
    users = {
        row.email: row.user_id
        for row in await session.scalars(
            select(PagerDutyUserRow).where(col(PagerDutyUserRow.account_key) == owner.account_key)
        )
    }
    sources, unknown = [], set()
    for member in members:
        rotation = await session.get(RotationRow, member.rotation_id)
        if rotation is None or (role == "backup" and not rotation.backup):
            continue
        shifts = await session.scalars(
            select(ShiftRow).where(col(ShiftRow.rotation_id) == member.rotation_id)
        )
        assignments = []
        for shift in shifts:
            email = shift.primary_email if role == "primary" else shift.backup_email
            if shift.cancelled or email is None:
                continue
            if email.lower() not in users:
                unknown.add(email.lower())
                continue
            assignments.append(Assignment(as_utc(shift.start), as_utc(shift.end), users[email.lower()]))
        sources.append(
            RotationSource(
                rotation.rotation_id,
                rotation.name,
                rotation.time_zone,
                _coverage(rotation),
                tuple(assignments),
            )
        )
    return TargetInputs(owner, sources, unknown)


def _coverage(rotation: RotationRow) -> DailyWindow | None:
    if rotation.coverage_start is None or rotation.coverage_end is None:
        return None
    return DailyWindow(time.fromisoformat(rotation.coverage_start), time.fromisoformat(rotation.coverage_end))


def as_utc(instant: datetime) -> datetime:
    """Aware UTC; SQLite returns naive datetimes (stored as UTC)."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
