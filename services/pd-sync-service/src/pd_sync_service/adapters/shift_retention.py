"""Shift retention: the folded shifts that ended longer than `SHIFT_RETENTION_DAYS` ago are deleted,
so `shifts` stays bounded (it would otherwise grow by every shift of every rotation, forever).

The sync never reads a past shift. Every read of `shifts` (adapters/repositories.py) but one asks for
shifts ending after now: `ShiftRepository.on_call` (what `load_inputs` writes into a schedule: "past
shifts are never written") and `UserRepository.in_use` (the users the user check compares with
PagerDuty's), both with `ending_after` the sync's PagerDuty clock. The one without a time bound,
`IntegrationRepository.targets_showing` (which targets to mark dirty when a person's PagerDuty user
changes or is lost), finds fewer targets only where every shift showing that person ended before the
cutoff, and such a target's sync writes none of those shifts anyway. So "now" here is the same clock
(bootstrap passes the PagerDuty clock) and the retention is a margin of many weeks, never a bound of
what is read.

Deleting a row is safe against a replay of `oncall.rotation.v1` (kept forever) when the retention is
longer than the inbox's redelivery window (settings.py checks it): a shift gets no `ShiftChanged` once
it has ended (the rotation service's allocation changes only future shifts and fills the empty roles of
the one in progress), so every revision of a pruned shift is older than the window, none is still in
the inbox, and a replay folds them all again in order, ending on the latest (which the next pruning
deletes again). A shorter retention could leave a replay with an early revision only, its later
ones skipped as already processed.

The deletes are `oncall_platform.pruning.delete_older_than` on `shifts.end` (index `ix_shifts_end`):
batches of `batch_size`, one short transaction each, `SKIP LOCKED` on PostgreSQL; the loop is
`oncall_platform.periodic.run_periodically`, as for the inbox.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_platform.clock import Clock, system_clock
from oncall_platform.periodic import run_periodically
from oncall_platform.pruning import delete_older_than
from pd_sync_service.adapters.orm import ShiftRow

logger = logging.getLogger(__name__)

SHIFTS: Table = ShiftRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ShiftRetention:
    """How long shifts are kept after their end, how often they are pruned, and how many per transaction."""

    keep: timedelta = timedelta(days=90)
    interval_seconds: float = 3600.0
    batch_size: int = 1000


class ShiftPruner:
    """Deletes the shifts that ended longer than `retention.keep` before `clock()`."""

    def __init__(
        self, engine: AsyncEngine, retention: ShiftRetention | None = None, *, clock: Clock = system_clock
    ) -> None:
        self._engine = engine
        self._retention = retention or ShiftRetention()
        self._clock = clock

    async def prune(self) -> int:
        """Delete every shift that ended before the cutoff, one batch per transaction; returns how many."""
        cutoff = self._clock() - self._retention.keep
        pruned = await delete_older_than(
            self._engine, SHIFTS.c.end, cutoff, batch_size=self._retention.batch_size
        )
        if pruned:
            logger.info("pruned past shifts", extra={"shifts": pruned})
        return pruned

    async def run(self, stop: asyncio.Event) -> None:
        """Prune now and every `interval_seconds` until `stop`; a failure is retried next time."""
        await run_periodically(self.prune, self._retention.interval_seconds, stop, "prune past shifts")
