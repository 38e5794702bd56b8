"""Fold contract events into the service's tables and mark the affected schedules dirty, in the
caller's transaction (so a crash never applies an event without its dirty mark, or the reverse)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from opentelemetry import propagate
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from oncall_contracts import (
    IntegrationConfigured,
    IntegrationRemoved,
    PagerDutyUserProvisioned,
    RotationCreated,
    RotationUpdated,
    ShiftChanged,
)
from pd_sync_service.adapters.orm import (
    AwaitedUserRow,
    IntegrationRow,
    PagerDutyUserRow,
    RotationRow,
    ShiftRow,
    TargetRow,
)

ROLES = ("primary", "backup")
HANDLED_EVENTS = (
    ShiftChanged,
    IntegrationConfigured,
    IntegrationRemoved,
    RotationCreated,
    RotationUpdated,
    PagerDutyUserProvisioned,
)


async def fold(session: AsyncSession, payload: Any, now: datetime) -> None:
    """Apply one decoded payload; events this service does not need (not in HANDLED_EVENTS) are ignored."""
    if isinstance(payload, ShiftChanged):
        if await _fold_shift(session, payload):
            await mark_rotation_dirty(session, payload.rotation_id, now)
    elif isinstance(payload, IntegrationConfigured):
        await _fold_integration(session, payload, now)
    elif isinstance(payload, IntegrationRemoved):
        await _fold_removal(session, payload, now)
    elif isinstance(payload, RotationCreated | RotationUpdated):
        await _save_rotation(
            session, payload.rotation_id, payload.name, payload.time_zone, payload.coverage, payload.backup
        )
        await mark_rotation_dirty(session, payload.rotation_id, now)
    elif isinstance(payload, PagerDutyUserProvisioned):
        await _fold_user(session, payload, now)


async def _fold_shift(session: AsyncSession, event: ShiftChanged) -> bool:
    row = await session.get(ShiftRow, (event.rotation_id, event.shift_id))
    if row is not None and row.revision >= event.revision:
        return False  # stale or replayed
    if row is None:
        row = ShiftRow(
            rotation_id=event.rotation_id,
            shift_id=event.shift_id,
            revision=event.revision,
            start=event.start,
            end=event.end,
        )
    row.revision, row.start, row.end = event.revision, event.start, event.end
    row.primary_email, row.backup_email, row.cancelled = event.primary, event.backup, event.cancelled
    session.add(row)
    return True


async def _fold_integration(session: AsyncSession, event: IntegrationConfigured, now: datetime) -> None:
    row = await session.get(IntegrationRow, event.rotation_id)
    if row is not None and row.revision >= event.revision:
        return
    previous_target = row.target_rotation_id if row is not None else None
    if row is None:
        row = IntegrationRow(
            rotation_id=event.rotation_id,
            revision=event.revision,
            active=True,
            mode=event.mode,
            target_rotation_id=event.target_rotation_id,
            schedule_name=event.schedule_name,
            account_key=event.account.key,
            subdomain=event.account.subdomain,
            region=event.account.region,
            credential=event.credential.model_dump(),
            schedule_time_zone=event.schedule_time_zone,
            configured_at=now,
        )
    elif not row.active:
        row.configured_at = now
    row.revision, row.active, row.mode = event.revision, True, event.mode
    row.target_rotation_id, row.schedule_name = event.target_rotation_id, event.schedule_name
    row.account_key, row.subdomain, row.region = (
        event.account.key,
        event.account.subdomain,
        event.account.region,
    )
    row.credential, row.schedule_time_zone = event.credential.model_dump(), event.schedule_time_zone
    session.add(row)
    await _save_rotation(
        session, event.rotation_id, event.rotation_name, event.time_zone, event.coverage, event.backup
    )
    for target in {previous_target, event.target_rotation_id} - {None}:
        await mark_target_dirty(session, str(target), now)


async def _fold_removal(session: AsyncSession, event: IntegrationRemoved, now: datetime) -> None:
    row = await session.get(IntegrationRow, event.rotation_id)
    if row is None or row.revision >= event.revision:
        return
    row.revision, row.active = event.revision, False
    session.add(row)
    if row.target_rotation_id != row.rotation_id:
        await mark_target_dirty(session, row.target_rotation_id, now)  # end its layer in the shared schedule


async def _save_rotation(
    session: AsyncSession, rotation_id: str, name: str, time_zone: str, coverage: Any, backup: bool
) -> None:
    row = await session.get(RotationRow, rotation_id) or RotationRow(
        rotation_id=rotation_id, name=name, time_zone=time_zone
    )
    row.name, row.time_zone, row.backup = name, time_zone, backup
    row.coverage_start = coverage.start.isoformat() if coverage is not None else None
    row.coverage_end = coverage.end.isoformat() if coverage is not None else None
    session.add(row)


async def _fold_user(session: AsyncSession, event: PagerDutyUserProvisioned, now: datetime) -> None:
    """Record the user; sync the schedules that waited for it and now wait for no one (a new user),
    or every schedule showing that e-mail (a user whose id changed)."""
    account_key, email = event.account.key, event.email.lower()
    await lock_emails(session, account_key, [email])
    row = await session.get(PagerDutyUserRow, (account_key, email))
    if row is not None and row.user_id == event.user_id:
        return
    replaced = row is not None
    row = row or PagerDutyUserRow(account_key=account_key, email=email, user_id=event.user_id)
    row.user_id = event.user_id
    session.add(row)
    # A waiting target a sync holds right now is skipped, not waited for: that sync holds or waits for
    # this e-mail's lock, so it sees the user (see await_users), and waiting here could deadlock with it.
    for target in sorted(await _stop_awaiting(session, account_key, email)):
        await mark_target_dirty(session, target, now, skip_locked=True)
    if replaced:
        for target in sorted(await _targets_showing(session, account_key, email)):
            await mark_target_dirty(session, target, now)


async def _stop_awaiting(session: AsyncSession, account_key: str, email: str) -> set[str]:
    """Targets that waited for `email` and for no other e-mail."""
    waiting = await session.scalars(
        delete(AwaitedUserRow)
        .where(col(AwaitedUserRow.account_key) == account_key, col(AwaitedUserRow.email) == email)
        .returning(col(AwaitedUserRow.target_rotation_id))
    )
    targets = set(waiting)
    if not targets:
        return set()
    still_waiting = await session.scalars(
        select(col(AwaitedUserRow.target_rotation_id))
        .where(col(AwaitedUserRow.target_rotation_id).in_(targets))
        .distinct()
    )
    return targets - set(still_waiting)


async def _targets_showing(session: AsyncSession, account_key: str, email: str) -> set[str]:
    shows_email = or_(func.lower(ShiftRow.primary_email) == email, func.lower(ShiftRow.backup_email) == email)
    targets = await session.scalars(
        select(col(IntegrationRow.target_rotation_id))
        .join(ShiftRow, col(ShiftRow.rotation_id) == IntegrationRow.rotation_id)
        .where(col(IntegrationRow.account_key) == account_key, shows_email)
        .distinct()
    )
    return set(targets)


async def await_users(
    session: AsyncSession, account_key: str, target_rotation_id: str, role: str, emails: set[str]
) -> set[str]:
    """Remember the e-mails a target's sync waits for (replacing what it waited for before) and return
    them, less those provisioned since the sync read its users.

    Under each e-mail's lock, a user folded concurrently either committed before the check below (and
    is not waited for) or folds after this transaction and finds these rows (and wakes the target):
    a target never waits for a user that has already arrived."""
    await lock_emails(session, account_key, emails)
    await session.execute(
        delete(AwaitedUserRow).where(
            col(AwaitedUserRow.target_rotation_id) == target_rotation_id, col(AwaitedUserRow.role) == role
        )
    )  # on SQLite, the first write: from here no other writer commits before this transaction does
    if not emails:
        return set()
    arrived = set(
        await session.scalars(
            select(col(PagerDutyUserRow.email)).where(
                col(PagerDutyUserRow.account_key) == account_key, col(PagerDutyUserRow.email).in_(emails)
            )
        )
    )
    waiting = emails - arrived
    session.add_all(
        AwaitedUserRow(account_key=account_key, email=email, target_rotation_id=target_rotation_id, role=role)
        for email in sorted(waiting)
    )
    return waiting


async def lock_emails(session: AsyncSession, account_key: str, emails: Iterable[str]) -> None:
    """Take the transaction's lock on each e-mail of the account, in order (no deadlock between two
    holders of several). PostgreSQL advisory locks; SQLite lets one writer at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for email in sorted(set(emails)):
        key = func.hashtextextended(f"{account_key}\n{email}", 0)
        await session.execute(select(func.pg_advisory_xact_lock(key)))


async def mark_rotation_dirty(session: AsyncSession, rotation_id: str, now: datetime) -> None:
    row = await session.get(IntegrationRow, rotation_id)
    if row is not None and row.active:
        await mark_target_dirty(session, row.target_rotation_id, now)


async def mark_target_dirty(
    session: AsyncSession,
    target_rotation_id: str,
    now: datetime,
    *,
    drift: bool = False,
    skip_locked: bool = False,
) -> None:
    """Ask for a sync of the target's schedules (both roles; a role without sources writes nothing).

    The current trace context (the consuming span's) is stored so the debounced sync continues it;
    when a burst coalesces, the latest change's context wins. A mark outside any trace keeps the last.
    With `skip_locked`, a role whose row another transaction holds (a sync in progress) is left alone.
    """
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    traceparent = carrier.get("traceparent")
    changes: dict[str, Any] = {
        "dirty_seq": TargetRow.dirty_seq + 1,
        "dirty_at": func.coalesce(TargetRow.dirty_at, now),
        "last_dirty_at": now,
    }
    if drift:
        changes["check_drift"] = True
    if traceparent:
        changes["traceparent"] = traceparent
    if skip_locked:
        free = select(col(TargetRow.role)).where(col(TargetRow.target_rotation_id) == target_rotation_id)
        roles = list(await session.scalars(free.with_for_update(skip_locked=True)))
        await session.execute(
            update(TargetRow)
            .where(col(TargetRow.target_rotation_id) == target_rotation_id, col(TargetRow.role).in_(roles))
            .values(**changes)
        )
        return
    # One statement for both roles: marking happens for every consumed change.
    marked = await session.execute(
        update(TargetRow).where(col(TargetRow.target_rotation_id) == target_rotation_id).values(**changes)
    )
    if int(getattr(marked, "rowcount", 0) or 0) == len(ROLES):
        return
    existing = set(
        await session.scalars(
            select(col(TargetRow.role)).where(col(TargetRow.target_rotation_id) == target_rotation_id)
        )
    )
    session.add_all(
        TargetRow(
            target_rotation_id=target_rotation_id,
            role=role,
            dirty_seq=1,
            dirty_at=now,
            last_dirty_at=now,
            check_drift=drift,
            traceparent=traceparent,
        )
        for role in ROLES
        if role not in existing
    )
