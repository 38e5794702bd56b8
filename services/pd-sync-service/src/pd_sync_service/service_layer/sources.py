"""Read a target schedule's inputs into domain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pd_sync_service.domain.model import Assignment, RotationSource
from pd_sync_service.domain.records import IntegrationRecord, RotationSettings
from pd_sync_service.service_layer.ports import OnCall
from pd_sync_service.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class TargetInputs:
    """The owner's integration, the sources in precedence order, and e-mails still unprovisioned."""

    owner: IntegrationRecord
    sources: list[RotationSource]
    unknown_emails: set[str]


async def load_inputs(
    uow: UnitOfWork, target_rotation_id: str, role: str, ending_after: datetime
) -> TargetInputs | None:
    """The inputs from the shifts ending after `ending_after` (past shifts are never written, and a
    past member's missing user must not hold a schedule back). None when the target's own integration
    is absent or removed: nothing may be written."""
    owner, members = await uow.integrations.owner_and_active_into(target_rotation_id)
    if owner is None or not owner.active or owner.mode != "own":
        return None
    members.sort(
        key=lambda member: (
            member.rotation_id != target_rotation_id,
            member.configured_at,
            member.rotation_id,
        )
    )
    rotations: list[tuple[RotationSettings, list[OnCall]]] = []
    for member in members:
        rotation = await uow.rotations.get(member.rotation_id)
        if rotation is None or (role == "backup" and not rotation.backup):
            continue
        on_call = await uow.shifts.on_call(member.rotation_id, role, ending_after)
        rotations.append(
            (rotation, [(as_utc(start), as_utc(end), email.lower()) for start, end, email in on_call])
        )
    emails = {email for _, shifts in rotations for _, _, email in shifts}
    users = await uow.users.user_ids(owner.account_key, emails) if emails else {}
    sources = [
        RotationSource(
            rotation.rotation_id,
            rotation.name,
            rotation.time_zone,
            rotation.coverage,
            tuple(Assignment(start, end, users[email]) for start, end, email in shifts if email in users),
        )
        for rotation, shifts in rotations
    ]
    return TargetInputs(owner, sources, emails - users.keys())


def as_utc(instant: datetime) -> datetime:
    """Aware UTC; SQLite returns naive datetimes (stored as UTC)."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
