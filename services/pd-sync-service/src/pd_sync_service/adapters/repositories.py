"""The SQL repositories behind the service layer's ports, on one session (the unit of work's).

Correctness between replicas lives here: PostgreSQL advisory locks per e-mail, `FOR UPDATE SKIP
LOCKED` claims of targets, and dirty marks as single increments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from oncall_contracts import SealedCredential
from pd_sync_service.adapters.orm import (
    AwaitedUserRow,
    IntegrationRow,
    PagerDutyUserRow,
    RotationRow,
    ShiftRow,
    TargetRow,
)
from pd_sync_service.adapters.schedule_json import layers_from_store, layers_to_store
from pd_sync_service.domain.model import DailyWindow
from pd_sync_service.domain.records import IntegrationRecord, RotationSettings, ShiftRecord, TargetSchedule
from pd_sync_service.service_layer.ports import OnCall

ROLES = ("primary", "backup")
SHIFTS: Table = ShiftRow.__table__  # type: ignore[attr-defined]
AWAITED: Table = AwaitedUserRow.__table__  # type: ignore[attr-defined]
# Core, built once: each sync runs it (twice per change), and the ORM's bulk-delete path (its session
# synchronisation, a statement built and cache-keyed per call) cost more than the round trip.
_FORGET_AWAITED = delete(AWAITED).where(
    AWAITED.c.target_rotation_id == bindparam("target_rotation_id"), AWAITED.c.role == bindparam("role")
)
_SHIFT_UPDATED = ("revision", "start", "end", "primary_email", "backup_email", "cancelled")


def _shift_upsert(insert: Any) -> Any:
    statement = insert(SHIFTS)
    return statement.on_conflict_do_update(
        index_elements=[SHIFTS.c.rotation_id, SHIFTS.c.shift_id],
        set_={name: statement.excluded[name] for name in _SHIFT_UPDATED},
        where=SHIFTS.c.revision < statement.excluded.revision,
    ).returning(SHIFTS.c.rotation_id, SHIFTS.c.shift_id)


_SHIFT_UPSERTS = {True: _shift_upsert(postgresql_insert), False: _shift_upsert(sqlite_insert)}


class SqlRotationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, rotation_id: str) -> RotationSettings | None:
        row = await self._session.get(RotationRow, rotation_id)
        if row is None:
            return None
        coverage = None
        if row.coverage_start is not None and row.coverage_end is not None:
            coverage = DailyWindow(
                time.fromisoformat(row.coverage_start), time.fromisoformat(row.coverage_end)
            )
        return RotationSettings(row.rotation_id, row.name, row.time_zone, coverage, row.backup)

    async def put(self, rotation: RotationSettings) -> None:
        row = await self._session.get(RotationRow, rotation.rotation_id) or RotationRow(
            rotation_id=rotation.rotation_id, name=rotation.name, time_zone=rotation.time_zone
        )
        row.name, row.time_zone, row.backup = rotation.name, rotation.time_zone, rotation.backup
        coverage = rotation.coverage
        row.coverage_start = coverage.start.isoformat() if coverage is not None else None
        row.coverage_end = coverage.end.isoformat() if coverage is not None else None
        self._session.add(row)

    async def forget(self, rotation_id: str) -> None:
        await self._session.execute(delete(RotationRow).where(col(RotationRow.rotation_id) == rotation_id))


class SqlShiftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, rotation_id: str, shift_id: str) -> ShiftRecord | None:
        row = await self._session.get(ShiftRow, (rotation_id, shift_id))
        if row is None:
            return None
        return ShiftRecord(
            row.rotation_id,
            row.shift_id,
            row.revision,
            row.start,
            row.end,
            row.primary_email,
            row.backup_email,
            row.cancelled,
        )

    async def put_newer(self, shifts: Iterable[ShiftRecord]) -> set[tuple[str, str]]:
        """One upsert for all of them (its parameters as a list: the statement compiles once per
        process): a row is written only over a lower revision."""
        rows = [asdict(shift) for shift in shifts]
        if not rows:
            return set()
        upsert = _SHIFT_UPSERTS[self._session.get_bind().dialect.name == "postgresql"]
        written = await self._session.execute(upsert, rows)
        return {(str(rotation_id), str(shift_id)) for rotation_id, shift_id in written}

    async def forget(self, rotation_id: str) -> None:
        await self._session.execute(delete(ShiftRow).where(col(ShiftRow.rotation_id) == rotation_id))

    async def on_call(self, rotation_id: str, role: str, ending_after: datetime) -> list[OnCall]:
        email_column = ShiftRow.primary_email if role == "primary" else ShiftRow.backup_email
        rows = await self._session.execute(
            select(col(ShiftRow.start), col(ShiftRow.end), col(email_column)).where(
                col(ShiftRow.rotation_id) == rotation_id,
                col(ShiftRow.end) > ending_after,
                col(ShiftRow.cancelled).is_(False),
                col(email_column).is_not(None),
            )
        )
        return [(start, end, str(email)) for start, end, email in rows]


def _integration(row: IntegrationRow) -> IntegrationRecord:
    return IntegrationRecord(
        rotation_id=row.rotation_id,
        revision=row.revision,
        active=row.active,
        mode=row.mode,
        target_rotation_id=row.target_rotation_id,
        schedule_name=row.schedule_name,
        account_key=row.account_key,
        subdomain=row.subdomain,
        region=row.region,
        credential=SealedCredential.model_validate(row.credential),
        schedule_time_zone=row.schedule_time_zone,
        configured_at=row.configured_at,
    )


class SqlIntegrationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, rotation_id: str) -> IntegrationRecord | None:
        row = await self._session.get(IntegrationRow, rotation_id)
        return None if row is None else _integration(row)

    async def put(self, integration: IntegrationRecord) -> None:
        values = {f.name: getattr(integration, f.name) for f in fields(integration)}
        values["credential"] = integration.credential.model_dump()
        row = await self._session.get(IntegrationRow, integration.rotation_id)
        if row is None:
            self._session.add(IntegrationRow(**values))
            return
        for name, value in values.items():
            setattr(row, name, value)
        self._session.add(row)

    async def forget(self, rotation_id: str) -> None:
        await self._session.execute(
            delete(IntegrationRow).where(col(IntegrationRow.rotation_id) == rotation_id)
        )

    async def owner_and_active_into(
        self, target_rotation_id: str
    ) -> tuple[IntegrationRecord | None, list[IntegrationRecord]]:
        """One query for both (every sync reads them)."""
        rows = await self._session.scalars(
            select(IntegrationRow).where(
                or_(
                    col(IntegrationRow.rotation_id) == target_rotation_id,
                    and_(
                        col(IntegrationRow.target_rotation_id) == target_rotation_id,
                        col(IntegrationRow.active).is_(True),
                    ),
                )
            )
        )
        owner: IntegrationRecord | None = None
        members = []
        for row in rows:
            integration = _integration(row)
            if integration.rotation_id == target_rotation_id:
                owner = integration
            if integration.target_rotation_id == target_rotation_id and integration.active:
                members.append(integration)
        return owner, members

    async def targets_showing(self, account_key: str, email: str) -> set[str]:
        shows_email = or_(
            func.lower(ShiftRow.primary_email) == email, func.lower(ShiftRow.backup_email) == email
        )
        targets = await self._session.scalars(
            select(col(IntegrationRow.target_rotation_id))
            .join(ShiftRow, col(ShiftRow.rotation_id) == IntegrationRow.rotation_id)
            .where(col(IntegrationRow.account_key) == account_key, shows_email)
            .distinct()
        )
        return set(targets)

    async def one_per_account(self) -> list[IntegrationRecord]:
        rows = await self._session.scalars(
            select(IntegrationRow)
            .where(col(IntegrationRow.mode) == "own", col(IntegrationRow.active).is_(True))
            .order_by(col(IntegrationRow.account_key), col(IntegrationRow.configured_at).desc())
        )
        latest: dict[str, IntegrationRecord] = {}
        for row in rows:
            latest.setdefault(row.account_key, _integration(row))
        return list(latest.values())

    async def owners_checked_longest_ago(self, limit: int | None) -> list[str]:
        last_checked = func.min(TargetRow.drift_checked_at)
        query = (
            select(col(IntegrationRow.rotation_id))
            .outerjoin(TargetRow, col(TargetRow.target_rotation_id) == IntegrationRow.rotation_id)
            .where(col(IntegrationRow.mode) == "own", col(IntegrationRow.active).is_(True))
            .group_by(col(IntegrationRow.rotation_id))
            .order_by(last_checked.asc().nulls_first(), col(IntegrationRow.rotation_id))
        )
        return list(await self._session.scalars(query if limit is None else query.limit(limit)))


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_emails(self, account_key: str, emails: Iterable[str]) -> None:
        """PostgreSQL transaction-level advisory locks, in e-mail order; SQLite lets one writer at a
        time anyway."""
        if self._session.get_bind().dialect.name != "postgresql":
            return
        for email in sorted(set(emails)):
            key = func.hashtextextended(f"{account_key}\n{email}", 0)
            await self._session.execute(select(func.pg_advisory_xact_lock(key)))

    async def user_id(self, account_key: str, email: str) -> str | None:
        row = await self._session.get(PagerDutyUserRow, (account_key, email))
        return None if row is None else row.user_id

    async def put(self, account_key: str, email: str, user_id: str) -> None:
        row = await self._session.get(PagerDutyUserRow, (account_key, email)) or PagerDutyUserRow(
            account_key=account_key, email=email, user_id=user_id
        )
        row.user_id = user_id
        self._session.add(row)

    async def user_ids(self, account_key: str, emails: set[str]) -> dict[str, str]:
        if not emails:
            return {}
        rows = await self._session.execute(
            select(col(PagerDutyUserRow.email), col(PagerDutyUserRow.user_id)).where(
                col(PagerDutyUserRow.account_key) == account_key,
                col(PagerDutyUserRow.email).in_(sorted(emails)),
            )
        )
        return {str(email): str(user_id) for email, user_id in rows}

    async def forget(self, account_key: str, user_id: str) -> list[str]:
        emails = await self._session.scalars(
            delete(PagerDutyUserRow)
            .where(col(PagerDutyUserRow.account_key) == account_key, col(PagerDutyUserRow.user_id) == user_id)
            .returning(col(PagerDutyUserRow.email))
        )
        return sorted(emails)

    async def in_use(self, account_key: str, ending_after: datetime) -> dict[str, str]:
        on_shift = or_(
            func.lower(ShiftRow.primary_email) == PagerDutyUserRow.email,
            func.lower(ShiftRow.backup_email) == PagerDutyUserRow.email,
        )
        rows = await self._session.execute(
            select(col(PagerDutyUserRow.email), col(PagerDutyUserRow.user_id))
            .join(ShiftRow, on_shift)
            .join(IntegrationRow, col(IntegrationRow.rotation_id) == ShiftRow.rotation_id)
            .where(
                col(PagerDutyUserRow.account_key) == account_key,
                col(IntegrationRow.account_key) == account_key,
                col(IntegrationRow.active).is_(True),
                col(ShiftRow.end) > ending_after,
                col(ShiftRow.cancelled).is_(False),
            )
            .distinct()
        )
        return {str(email): str(user_id) for email, user_id in rows}


class SqlAwaitedUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def forget(self, target_rotation_id: str, role: str) -> None:
        """No AwaitedUserRow is ever loaded into the session (only added after this), so the Core
        statement leaves no stale object behind."""
        await self._session.execute(_FORGET_AWAITED, {"target_rotation_id": target_rotation_id, "role": role})

    async def add(self, account_key: str, target_rotation_id: str, role: str, emails: Iterable[str]) -> None:
        self._session.add_all(
            AwaitedUserRow(
                account_key=account_key, email=email, target_rotation_id=target_rotation_id, role=role
            )
            for email in emails
        )

    async def stop_awaiting(self, account_key: str, email: str) -> set[str]:
        waiting = await self._session.scalars(
            delete(AwaitedUserRow)
            .where(col(AwaitedUserRow.account_key) == account_key, col(AwaitedUserRow.email) == email)
            .returning(col(AwaitedUserRow.target_rotation_id))
        )
        targets = set(waiting)
        if not targets:
            return set()
        still_waiting = await self._session.scalars(
            select(col(AwaitedUserRow.target_rotation_id))
            .where(col(AwaitedUserRow.target_rotation_id).in_(targets))
            .distinct()
        )
        return targets - set(still_waiting)


_TARGET_FIELDS = tuple(f.name for f in fields(TargetSchedule))


def target_schedule(row: TargetRow) -> TargetSchedule:
    values: dict[str, Any] = {name: getattr(row, name) for name in _TARGET_FIELDS}
    values["layers"] = layers_from_store(row.layers)
    return TargetSchedule(**values)


def target_columns(target: TargetSchedule) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(target, name) for name in _TARGET_FIELDS}
    values["layers"] = layers_to_store(target.layers)
    return values


@dataclass(frozen=True)
class _DirtyMark:
    """The marks of one target in one unit of work, merged: applied as one statement at commit."""

    first_at: datetime
    last_at: datetime
    traceparent: str | None
    drift: bool
    unless_syncing: bool  # only when every mark was so: one plain mark marks both roles anyway
    changed_at: datetime | None

    def merged(self, later: _DirtyMark) -> _DirtyMark:
        changed = [at for at in (self.changed_at, later.changed_at) if at is not None]
        return _DirtyMark(
            first_at=min(self.first_at, later.first_at),
            last_at=max(self.last_at, later.last_at),
            traceparent=later.traceparent or self.traceparent,  # the latest change's trace wins
            drift=self.drift or later.drift,
            unless_syncing=self.unless_syncing and later.unless_syncing,
            changed_at=min(changed, default=None),
        )


class SqlTargetRepository:
    """Dirty marks are kept until the unit of work commits (`apply_marks`), then written one statement
    per target in target order: a batch of events marks each target once, and two transactions that
    mark the same targets lock their rows in the same order, so they queue instead of deadlocking."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._claimed: dict[tuple[str, str], tuple[TargetRow, TargetSchedule]] = {}
        self._marks: dict[str, _DirtyMark] = {}

    async def mark_dirty(
        self,
        target_rotation_id: str,
        now: datetime,
        *,
        traceparent: str | None,
        drift: bool = False,
        unless_syncing: bool = False,
        changed_at: datetime | None = None,
    ) -> None:
        mark = _DirtyMark(now, now, traceparent, drift, unless_syncing, changed_at)
        earlier = self._marks.get(target_rotation_id)
        self._marks[target_rotation_id] = mark if earlier is None else earlier.merged(mark)

    async def apply_marks(self) -> None:
        """Write the marks kept so far, sorted by target (the unit of work calls this at commit)."""
        marks, self._marks = self._marks, {}
        for target_rotation_id in sorted(marks):
            await self._apply_mark(target_rotation_id, marks[target_rotation_id])

    async def _apply_mark(self, target_rotation_id: str, mark: _DirtyMark) -> None:
        changes: dict[str, Any] = {
            "dirty_seq": TargetRow.dirty_seq + 1,
            "dirty_at": func.coalesce(TargetRow.dirty_at, mark.first_at),
            "last_dirty_at": mark.last_at,
        }
        if mark.drift:
            changes["check_drift"] = True
        if mark.traceparent:
            changes["traceparent"] = mark.traceparent
        if mark.changed_at is not None:
            changes["changed_at"] = func.coalesce(TargetRow.changed_at, mark.changed_at)
        of_target = col(TargetRow.target_rotation_id) == target_rotation_id
        if mark.unless_syncing:
            free = (
                select(col(TargetRow.role))
                .where(of_target)
                .order_by(col(TargetRow.role))
                .with_for_update(skip_locked=True)
            )
            roles = list(await self._session.scalars(free))
            await self._session.execute(
                update(TargetRow).where(of_target, col(TargetRow.role).in_(roles)).values(**changes)
            )
            return
        # One statement for both roles: marking happens for every consumed change.
        marked = await self._session.execute(update(TargetRow).where(of_target).values(**changes))
        if int(getattr(marked, "rowcount", 0) or 0) == len(ROLES):
            return
        if not await self._writes_schedules(target_rotation_id):
            return  # deleted or not configured (yet): its own IntegrationConfigured creates the rows
        existing = set(await self._session.scalars(select(col(TargetRow.role)).where(of_target)))
        self._session.add_all(
            TargetRow(
                target_rotation_id=target_rotation_id,
                role=role,
                dirty_seq=1,
                dirty_at=mark.first_at,
                last_dirty_at=mark.last_at,
                check_drift=mark.drift,
                traceparent=mark.traceparent,
                changed_at=mark.changed_at,
            )
            for role in ROLES
            if role not in existing
        )

    async def _writes_schedules(self, target_rotation_id: str) -> bool:
        """Whether the target's own integration is active (as folding's `_writes_schedules`): only
        then may a mark create its rows. A mark from another unit of work (a merged rotation's event,
        another partition) must not bring back the rows of a target deleted meanwhile. The shared
        lock makes a concurrent RotationDeleted either commit first (no rows here) or wait for this
        unit to commit and then delete the rows it inserted."""
        owner = (
            select(col(IntegrationRow.rotation_id))
            .where(
                col(IntegrationRow.rotation_id) == target_rotation_id,
                col(IntegrationRow.active).is_(True),
                col(IntegrationRow.mode) == "own",
            )
            .with_for_update(read=True)
        )
        return (await self._session.scalars(owner)).first() is not None

    async def due(self, now: datetime, debounce: timedelta, max_wait: timedelta) -> list[tuple[str, str]]:
        rows = await self._session.execute(
            select(col(TargetRow.target_rotation_id), col(TargetRow.role)).where(
                col(TargetRow.dirty_seq) > TargetRow.synced_seq,
                or_(
                    col(TargetRow.last_dirty_at) <= now - debounce,
                    col(TargetRow.dirty_at) <= now - max_wait,
                    # marked by one unit of work since it was last in step, and not postponed
                    and_(
                        col(TargetRow.dirty_seq) == TargetRow.synced_seq + 1,
                        col(TargetRow.dirty_at).is_not(None),
                    ),
                ),
            )
        )
        return [(str(target), str(role)) for target, role in rows]

    async def claim(self, target_rotation_id: str, role: str) -> TargetSchedule | None:
        row = (
            await self._session.scalars(
                select(TargetRow)
                .where(col(TargetRow.target_rotation_id) == target_rotation_id, col(TargetRow.role) == role)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if row is None:
            return None
        self._claimed[target_rotation_id, role] = (row, target_schedule(row))
        return target_schedule(row)

    async def save(self, target: TargetSchedule) -> None:
        """Writes only the fields that changed since the claim (as the ORM would), so a mark a
        consumer committed meanwhile (possible on SQLite, which does not lock the row) is kept."""
        row, claimed = self._claimed[target.target_rotation_id, target.role]
        columns = target_columns(target)
        for name in _TARGET_FIELDS:
            if getattr(target, name) != getattr(claimed, name):
                setattr(row, name, columns[name])
        self._session.add(row)

    async def check_drift_of_dirty(self) -> int:
        result = await self._session.execute(
            update(TargetRow).where(col(TargetRow.dirty_seq) > TargetRow.synced_seq).values(check_drift=True)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget(self, target_rotation_id: str) -> None:
        self._marks.pop(target_rotation_id, None)  # marked earlier in this unit: gone with its rows
        await self._session.execute(
            delete(TargetRow).where(col(TargetRow.target_rotation_id) == target_rotation_id)
        )
