"""Shift retention: shifts that ended longer than `SHIFT_RETENTION_DAYS` ago are deleted, their on-call
time added to `member_totals` first, so `shifts` (read whole on every load of a rotation) stays bounded.

Only shifts that cannot change an allocation go. `allocate` (domain/allocation.py) reads of the shifts
that started before now only the latest one (who was on call just before the plan, and whether it is
in progress with an empty role) and the latest end among them (where the next slots begin); loads are
counted over the future shifts alone, and the aggregate always names whom to rebalance towards, so
earlier history is never read. A shift is therefore pruned only when a later-started shift that has
also started ends no earlier than it: the latest started shift is always kept, and so is the latest
end. Each rotation is pruned under its row lock, in the same transaction as its totals.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from oncall_platform.clock import Clock, system_clock
from oncall_platform.database import dialect_insert
from oncall_platform.periodic import run_periodically
from rotation_service.adapters.tables import MemberTotalRow, RotationRow, ShiftRow

logger = logging.getLogger(__name__)

SHIFTS: Table = ShiftRow.__table__  # type: ignore[attr-defined]
TOTALS: Table = MemberTotalRow.__table__  # type: ignore[attr-defined]
ROTATIONS: Table = RotationRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ShiftRetention:
    keep: timedelta = timedelta(days=90)
    interval_seconds: float = 3600.0
    rotations_per_batch: int = 100


def _prunable(now: datetime, cutoff: datetime) -> ColumnElement[bool]:
    later = SHIFTS.alias("later")
    superseded = exists().where(
        later.c.rotation_id == SHIFTS.c.rotation_id,
        later.c.start > SHIFTS.c.start,
        later.c.start < now,
        later.c.end >= SHIFTS.c.end,
    )
    return and_(SHIFTS.c.end < cutoff, superseded)


class ShiftPruner:
    """Deletes the shifts no allocation reads any more, keeping each member's totals."""

    def __init__(
        self, engine: AsyncEngine, retention: ShiftRetention | None = None, *, clock: Clock = system_clock
    ) -> None:
        self._engine = engine
        self._retention = retention or ShiftRetention()
        self._clock = clock

    async def prune(self) -> int:
        """Prune every rotation; returns how many shifts were deleted."""
        now = self._clock()
        cutoff = now - self._retention.keep
        pruned, skipped = 0, set[str]()
        while True:
            async with self._engine.connect() as connection:
                query = select(SHIFTS.c.rotation_id).where(_prunable(now, cutoff)).distinct()
                if skipped:
                    query = query.where(SHIFTS.c.rotation_id.not_in(sorted(skipped)))
                rotation_ids = list(
                    await connection.scalars(query.limit(self._retention.rotations_per_batch))
                )
            if not rotation_ids:
                break
            for rotation_id in rotation_ids:
                async with self._engine.begin() as connection:
                    deleted = await self._prune_one(connection, rotation_id, now, cutoff)
                if deleted is None:
                    skipped.add(rotation_id)  # in use right now: next time
                else:
                    pruned += deleted
            await asyncio.sleep(0)
        if pruned:
            logger.info("pruned past shifts", extra={"shifts": pruned})
        return pruned

    async def _prune_one(
        self, connection: AsyncConnection, rotation_id: str, now: datetime, cutoff: datetime
    ) -> int | None:
        lock = select(ROTATIONS.c.id).where(ROTATIONS.c.id == rotation_id)
        if connection.dialect.name == "postgresql":
            lock = lock.with_for_update(skip_locked=True)
        if await connection.scalar(lock) is None:
            return None
        rows = (
            await connection.execute(
                select(SHIFTS.c.id, SHIFTS.c.start, SHIFTS.c.end, SHIFTS.c.primary, SHIFTS.c.backup).where(
                    SHIFTS.c.rotation_id == rotation_id, _prunable(now, cutoff)
                )
            )
        ).all()
        seconds: Counter[tuple[str, str]] = Counter()
        shifts: Counter[tuple[str, str]] = Counter()
        for row in rows:
            length = int((row.end - row.start).total_seconds())
            for role, email in (("primary", row.primary), ("backup", row.backup)):
                if email is not None:
                    seconds[email, role] += length
                    shifts[email, role] += 1
        for (email, role), total in sorted(seconds.items()):
            statement = dialect_insert(connection, TOTALS).values(
                rotation_id=rotation_id, email=email, role=role, seconds=total, shifts=shifts[email, role]
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["rotation_id", "email", "role"],
                    set_={
                        "seconds": TOTALS.c.seconds + statement.excluded.seconds,
                        "shifts": TOTALS.c.shifts + statement.excluded.shifts,
                    },
                )
            )
        ids = [row.id for row in rows]
        for start in range(0, len(ids), 500):
            await connection.execute(
                SHIFTS.delete().where(
                    tuple_(SHIFTS.c.rotation_id, SHIFTS.c.id).in_(
                        [(rotation_id, i) for i in ids[start : start + 500]]
                    )
                )
            )
        return len(ids)

    async def run(self, stop: asyncio.Event) -> None:
        """Prune now and every `interval_seconds` until `stop`; a failure is retried next time."""
        await run_periodically(self.prune, self._retention.interval_seconds, stop, "prune past shifts")
