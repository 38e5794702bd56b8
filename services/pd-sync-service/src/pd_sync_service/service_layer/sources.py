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


async def load_inputs(
    session: AsyncSession, target_rotation_id: str, role: str, ending_after: datetime
) -> TargetInputs | None:
    """The inputs from the shifts ending after `ending_after` (past shifts are never written, and a
    past member's missing user must not hold a schedule back). None when the target's own integration
    is absent or removed: nothing may be written."""
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
    rotations: list[tuple[RotationRow, list[tuple[datetime, datetime, str]]]] = []
    for member in members:
        rotation = await session.get(RotationRow, member.rotation_id)
        if rotation is None or (role == "backup" and not rotation.backup):
            continue
        rotations.append((rotation, await _on_call(session, member.rotation_id, role, ending_after)))
    emails = {email for _, shifts in rotations for _, _, email in shifts}
    users = await _user_ids(session, owner.account_key, emails)
    sources = [
        RotationSource(
            rotation.rotation_id,
            rotation.name,
            rotation.time_zone,
            _coverage(rotation),
            tuple(Assignment(start, end, users[email]) for start, end, email in shifts if email in users),
        )
        for rotation, shifts in rotations
    ]
    return TargetInputs(owner, sources, emails - users.keys())


async def _on_call(
    session: AsyncSession, rotation_id: str, role: str, ending_after: datetime
) -> list[tuple[datetime, datetime, str]]:
    """The shifts for `role` as (start, end, lower-case e-mail), without cancelled or empty ones."""
    email_column = ShiftRow.primary_email if role == "primary" else ShiftRow.backup_email
    rows = await session.execute(
        select(col(ShiftRow.start), col(ShiftRow.end), col(email_column)).where(
            col(ShiftRow.rotation_id) == rotation_id,
            col(ShiftRow.end) > ending_after,
            col(ShiftRow.cancelled).is_(False),
            col(email_column).is_not(None),
        )
    )
    return [(as_utc(start), as_utc(end), str(email).lower()) for start, end, email in rows]


async def _user_ids(session: AsyncSession, account_key: str, emails: set[str]) -> dict[str, str]:
    if not emails:
        return {}
    rows = await session.execute(
        select(col(PagerDutyUserRow.email), col(PagerDutyUserRow.user_id)).where(
            col(PagerDutyUserRow.account_key) == account_key,
            col(PagerDutyUserRow.email).in_(sorted(emails)),
        )
    )
    return {str(email): str(user_id) for email, user_id in rows}


def _coverage(rotation: RotationRow) -> DailyWindow | None:
    if rotation.coverage_start is None or rotation.coverage_end is None:
        return None
    return DailyWindow(time.fromisoformat(rotation.coverage_start), time.fromisoformat(rotation.coverage_end))


def as_utc(instant: datetime) -> datetime:
    """Aware UTC; SQLite returns naive datetimes (stored as UTC)."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
