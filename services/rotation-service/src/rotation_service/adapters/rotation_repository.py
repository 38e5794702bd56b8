"""Loads and saves the Rotation aggregate; only rows that changed since loading are written."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from rotation_service.adapters.tables import (
    AdminRow,
    MemberRow,
    MemberTotalRow,
    RotationRow,
    ShiftRequestRow,
    ShiftRow,
    Table,
    UnavailabilityRow,
)
from rotation_service.domain.listing import ListingPosition, RotationOverview, RotationSummary
from rotation_service.domain.model import CoverageWindow, Interval, Member, RotationSpec, Shift
from rotation_service.domain.rotation import Rotation


@dataclass(frozen=True)
class _Snapshot:
    members: dict[str, Member]
    admins: frozenset[str]
    shifts: dict[str, Shift]
    spec: RotationSpec | None = None  # what the row holds (None: unknown, write it)


def _spec_of(row: RotationRow) -> RotationSpec:
    coverage = None
    if row.coverage_start is not None and row.coverage_end is not None:
        coverage = CoverageWindow(
            time.fromisoformat(row.coverage_start), time.fromisoformat(row.coverage_end)
        )
    return RotationSpec(
        time_zone=row.time_zone,
        period=timedelta(seconds=row.period_seconds),
        first_shift_start=row.first_shift_start,
        handoffs=tuple(timedelta(seconds=s) for s in row.handoff_seconds),
        coverage=coverage,
        backup=row.backup,
        horizon_days=row.horizon_days,
    )


def _write_spec(row: RotationRow, spec: RotationSpec) -> None:
    row.time_zone = spec.time_zone
    row.period_seconds = int(spec.period.total_seconds())
    row.first_shift_start = spec.first_shift_start
    row.handoff_seconds = [int(h.total_seconds()) for h in spec.handoffs]
    row.coverage_start = spec.coverage.start.isoformat() if spec.coverage else None
    row.coverage_end = spec.coverage.end.isoformat() if spec.coverage else None
    row.backup = spec.backup
    row.horizon_days = spec.horizon_days


class SqlRotationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: dict[str, RotationRow] = {}
        self._snapshots: dict[str, _Snapshot] = {}

    async def get(self, rotation_id: str, *, for_update: bool = True) -> Rotation | None:
        """The aggregate; `for_update` locks its row so concurrent changes to one rotation serialise."""
        statement = _ROTATION_FOR_UPDATE if for_update else _ROTATION
        row = (await self._session.execute(statement, {"rotation_id": rotation_id})).scalar_one_or_none()
        if row is None:
            return None
        members = (await self._members_of([rotation_id]))[rotation_id]
        admins = set((await self._admins_of([rotation_id]))[rotation_id])
        shift_rows = await self._session.execute(_SHIFTS_OF, {"rotation_id": rotation_id})
        # _SHIFTS_OF selects Shift's fields in its order; unpacking skips a Row attribute lookup each.
        shifts = {r[0]: Shift(*r) for r in shift_rows}
        spec = _spec_of(row)
        self._rows[rotation_id] = row
        self._snapshots[rotation_id] = _Snapshot(dict(members), frozenset(admins), dict(shifts), spec)
        return Rotation(
            id=row.id,
            name=row.name,
            spec=spec,
            members=members,
            admins=admins,
            shifts=shifts,
            shift_revision=row.shift_revision,
        )

    async def overview(self, rotation_id: str) -> RotationOverview | None:
        row = await self._session.get(RotationRow, rotation_id)
        if row is None:
            return None
        members, admins = await self._members_of([rotation_id]), await self._admins_of([rotation_id])
        return RotationOverview(
            id=row.id,
            name=row.name,
            spec=_spec_of(row),
            members=members[rotation_id],
            admins=admins[rotation_id],
            position=ListingPosition(row.created_at, row.id),
        )

    async def hold(self, rotation_id: str) -> bool:
        rotations = _table(RotationRow)
        statement = select(rotations.c.id).where(rotations.c.id == rotation_id).with_for_update(read=True)
        return (await self._session.execute(statement)).first() is not None

    async def shifts_between(
        self, rotation_id: str, since: datetime | None, until: datetime | None
    ) -> list[Shift]:
        shifts = _table(ShiftRow)
        statement = select(shifts).where(shifts.c.rotation_id == rotation_id).order_by(shifts.c.start)
        if since is not None:
            statement = statement.where(shifts.c.end > since)
        if until is not None:
            statement = statement.where(shifts.c.start < until)
        rows = await self._session.execute(statement)
        return [
            Shift(r.id, r.start, r.end, r.primary, r.backup, conflict=r.conflict, pinned=r.pinned)
            for r in rows
        ]

    async def list(self) -> list[RotationSummary]:
        rows = (
            await self._session.execute(
                select(RotationRow).order_by(col(RotationRow.name), col(RotationRow.id))
            )
        ).scalars()
        return [RotationSummary(row.id, row.name, _spec_of(row)) for row in rows]

    async def page(self, after: ListingPosition | None, limit: int) -> Sequence[RotationOverview]:
        """The first `limit` rotations after `after` in listing order (creation time, then id).

        One query for the page's rotation rows and one per child table for all of them, whatever
        `limit`; shifts are not read. `after` need not exist any more (its rotation may be deleted).
        """
        created_at, rotation_id = col(RotationRow.created_at), col(RotationRow.id)
        statement = select(RotationRow).order_by(created_at, rotation_id).limit(limit)
        if after is not None:
            # `created_at >= ...` first, so the (created_at, id) index starts the scan at `after`.
            statement = statement.where(
                created_at >= after.created_at,
                or_(created_at > after.created_at, rotation_id > after.rotation_id),
            )
        rows = list((await self._session.execute(statement)).scalars())
        ids = [row.id for row in rows]
        members, admins = await self._members_of(ids), await self._admins_of(ids)
        return [
            RotationOverview(
                id=row.id,
                name=row.name,
                spec=_spec_of(row),
                members=members[row.id],
                admins=admins[row.id],
                position=ListingPosition(row.created_at, row.id),
            )
            for row in rows
        ]

    async def next_integration_revision(self, rotation_id: str) -> int:
        """Bumps and returns the per-rotation revision of IntegrationConfigured/Removed events."""
        row = self._rows.get(rotation_id) or await self._session.get(
            RotationRow, rotation_id, with_for_update=True
        )
        if row is None:
            raise LookupError(rotation_id)
        row.integration_revision += 1
        return row.integration_revision

    async def add(self, rotation: Rotation, created_at: datetime) -> None:
        row = RotationRow(
            id=rotation.id,
            name=rotation.name,
            backup=rotation.spec.backup,
            time_zone=rotation.spec.time_zone,
            period_seconds=0,
            first_shift_start=rotation.spec.first_shift_start,
            handoff_seconds=[],
            horizon_days=rotation.spec.horizon_days,
            shift_revision=rotation.shift_revision,
            created_at=created_at,
        )
        _write_spec(row, rotation.spec)
        self._session.add(row)
        await self._session.flush()
        self._rows[rotation.id] = row
        self._snapshots[rotation.id] = _Snapshot({}, frozenset(), {}, rotation.spec)
        await self.save(rotation)

    async def save(self, rotation: Rotation) -> None:
        row = self._rows[rotation.id]
        before = self._snapshots[rotation.id]
        row.name = rotation.name
        if rotation.spec != before.spec:  # the ORM would find nothing to write for the same spec
            _write_spec(row, rotation.spec)
        row.shift_revision = rotation.shift_revision
        await self._save_members(rotation, before.members)
        await self._save_admins(rotation, before.admins)
        await self._save_shifts(rotation, before.shifts)
        await self._session.flush()
        self._snapshots[rotation.id] = _Snapshot(
            dict(rotation.members), frozenset(rotation.admins), dict(rotation.shifts), rotation.spec
        )

    async def remove(self, rotation_id: str) -> None:
        # Children first, all of them: SQLite does not enforce the foreign keys' ON DELETE CASCADE.
        children = (ShiftRequestRow, ShiftRow, MemberTotalRow, AdminRow, UnavailabilityRow, MemberRow)
        for table in children:
            await self._session.execute(
                delete(_table(table)).where(_table(table).c.rotation_id == rotation_id)
            )
        await self._session.execute(delete(RotationRow).where(col(RotationRow.id) == rotation_id))
        self._rows.pop(rotation_id, None)
        self._snapshots.pop(rotation_id, None)

    async def _members_of(self, rotation_ids: Collection[str]) -> dict[str, dict[str, Member]]:
        """Each rotation's members in join order, with their unavailability."""
        found: dict[str, dict[str, Member]] = {rotation_id: {} for rotation_id in rotation_ids}
        if not found:
            return found
        members, unavailability = _table(MemberRow), _table(UnavailabilityRow)
        spans: dict[tuple[str, str], list[Interval]] = {}
        if len(found) == 1:  # one rotation (the aggregate, its overview): prebuilt statements
            [rotation_id] = found
            unavailable = await self._session.execute(_UNAVAILABILITY_OF, {"rotation_id": rotation_id})
        else:
            unavailable = await self._session.execute(
                select(unavailability)
                .where(unavailability.c.rotation_id.in_(list(found)))
                .order_by(unavailability.c.id)
            )
        for span in unavailable:
            spans.setdefault((span.rotation_id, span.email), []).append(Interval(span.start, span.end))
        if len(found) == 1:
            rows = await self._session.execute(_MEMBERS_OF, {"rotation_id": rotation_id})
        else:
            rows = await self._session.execute(
                select(members)
                .where(members.c.rotation_id.in_(list(found)))
                .order_by(members.c.rotation_id, members.c.position)
            )
        for r in rows:
            unavailable_spans = tuple(spans.get((r.rotation_id, r.email), ()))
            found[r.rotation_id][r.email] = Member(
                r.email, r.name, r.time_zone, r.joined_at, unavailable_spans
            )
        return found

    async def _admins_of(self, rotation_ids: Collection[str]) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {rotation_id: set() for rotation_id in rotation_ids}
        if found:
            if len(found) == 1:  # one rotation: the prebuilt statement
                [only] = found
                rows = await self._session.execute(_ADMINS_OF, {"rotation_id": only})
            else:
                admins = _table(AdminRow)
                rows = await self._session.execute(
                    select(admins.c.rotation_id, admins.c.email).where(admins.c.rotation_id.in_(list(found)))
                )
            for rotation_id, email in rows:
                found[rotation_id].add(email)
        return {rotation_id: frozenset(emails) for rotation_id, emails in found.items()}

    async def _save_members(self, rotation: Rotation, before: dict[str, Member]) -> None:
        rid = rotation.id
        for position, (email, member) in enumerate(rotation.members.items()):
            if before.get(email) == member:
                continue
            await self._delete_member_rows(rid, email)
            self._session.add(
                MemberRow(
                    rotation_id=rid,
                    email=email,
                    name=member.name,
                    time_zone=member.time_zone,
                    joined_at=member.joined_at,
                    position=position,
                )
            )
            for span in member.unavailable:
                self._session.add(
                    UnavailabilityRow(rotation_id=rid, email=email, start=span.start, end=span.end)
                )
        for email in before.keys() - rotation.members.keys():
            await self._delete_member_rows(rid, email)

    async def _delete_member_rows(self, rotation_id: str, email: str) -> None:
        for table in (MemberRow, UnavailabilityRow):
            await self._session.execute(
                delete(_table(table)).where(
                    _table(table).c.rotation_id == rotation_id, _table(table).c.email == email
                )
            )
        await self._session.flush()

    async def _save_admins(self, rotation: Rotation, before: frozenset[str]) -> None:
        for email in set(rotation.admins) - before:
            self._session.add(AdminRow(rotation_id=rotation.id, email=email))
        gone = before - set(rotation.admins)
        if gone:
            await self._session.execute(
                delete(AdminRow).where(
                    col(AdminRow.rotation_id) == rotation.id, col(AdminRow.email).in_(gone)
                )
            )

    async def _save_shifts(self, rotation: Rotation, before: dict[str, Shift]) -> None:
        """Writes only the shifts that changed: DELETE the gone, UPDATE the changed, INSERT the new."""
        shifts, rid = _table(ShiftRow), rotation.id
        gone = before.keys() - rotation.shifts.keys()
        changed: list[dict[str, object]] = []
        added: list[dict[str, object]] = []
        for sid, shift in rotation.shifts.items():
            old = before.get(sid)
            if old is None:
                added.append({"rotation_id": rid, "id": sid, **_shift_values(shift)})
            elif old != shift:
                changed.append({"b_rotation_id": rid, "b_id": sid, **_shift_values(shift)})
        if gone:
            await self._session.execute(
                delete(shifts).where(shifts.c.rotation_id == rid, shifts.c.id.in_(gone))
            )
        if changed:
            await self._session.execute(_UPDATE_SHIFT, changed)
        if added:
            await self._session.execute(sa.insert(shifts), added)


def _shift_values(shift: Shift) -> dict[str, object]:
    return {
        "start": shift.start,
        "end": shift.end,
        "primary": shift.primary,
        "backup": shift.backup,
        "conflict": shift.conflict,
        "pinned": shift.pinned,
    }


def _table(model: type[Table]) -> sa.Table:
    # Core rows (not ORM objects) for child tables: saving rewrites them with plain DELETE/INSERT.
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


_SHIFTS = _table(ShiftRow)
# One statement for one changed shift or many (executemany); `b_` names the row, the rest sets it.
_UPDATE_SHIFT = (
    sa.update(_SHIFTS)
    .where(_SHIFTS.c.rotation_id == sa.bindparam("b_rotation_id"), _SHIFTS.c.id == sa.bindparam("b_id"))
    .values({c: sa.bindparam(c) for c in ("start", "end", "primary", "backup", "conflict", "pinned")})
)

# Statements of every load of one rotation, built once: SQLAlchemy memoises a statement's cache key,
# so a prebuilt one skips building the expression and its key on each execution.
_ROTATION_ID: sa.BindParameter[str] = sa.bindparam("rotation_id")  # takes each column's type
_ROTATION = select(RotationRow).where(col(RotationRow.id) == _ROTATION_ID)
_ROTATION_FOR_UPDATE = _ROTATION.with_for_update()
_SHIFTS_OF = select(*(_SHIFTS.c[field.name] for field in dataclasses.fields(Shift))).where(
    _SHIFTS.c.rotation_id == _ROTATION_ID
)
_UNAVAILABILITY_OF = (
    select(_table(UnavailabilityRow))
    .where(_table(UnavailabilityRow).c.rotation_id == _ROTATION_ID)
    .order_by(_table(UnavailabilityRow).c.id)
)
_MEMBERS_OF = (
    select(_table(MemberRow))
    .where(_table(MemberRow).c.rotation_id == _ROTATION_ID)
    .order_by(_table(MemberRow).c.rotation_id, _table(MemberRow).c.position)
)
_ADMINS_OF = select(_table(AdminRow).c.rotation_id, _table(AdminRow).c.email).where(
    _table(AdminRow).c.rotation_id == _ROTATION_ID
)
