"""Inbox pruning: processed event ids older than the redelivery window are deleted, a batch at a time.

The inbox (`processed_events`) only has to remember an event for as long as Kafka may hand it to the
consumer again. `serve` runs an `InboxPruner` as a background task of every service with a database
(`ServiceSettings.inbox_retention()`), so no service keeps a copy of this. Each batch is one short
transaction through the index on `processed_at`, so pruning never holds many row locks or a long
transaction next to the consumers. Why the window is safe: docs/design/platform.md ("Inbox pruning").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_platform.clock import Clock, system_clock
from oncall_platform.inbox import ProcessedEvent

logger = logging.getLogger(__name__)

INBOX: Table = ProcessedEvent.__table__  # type: ignore[attr-defined]
DEFAULT_REDELIVERY_WINDOW = timedelta(days=35)


@dataclass(frozen=True)
class InboxRetention:
    """How long processed event ids are kept, how often they are pruned, and how many per transaction."""

    window: timedelta = DEFAULT_REDELIVERY_WINDOW
    interval_seconds: float = 600.0
    batch_size: int = 1000


class InboxPruner:
    """Deletes the inbox entries processed longer than `retention.window` ago."""

    def __init__(
        self, engine: AsyncEngine, retention: InboxRetention | None = None, *, clock: Clock = system_clock
    ) -> None:
        self._engine = engine
        self._retention = retention or InboxRetention()
        self._clock = clock

    async def prune(self) -> int:
        """Delete every entry older than the window, one batch per transaction; returns how many."""
        cutoff = self._clock() - self._retention.window
        pruned = 0
        while True:
            oldest = (
                select(INBOX.c.consumer, INBOX.c.event_id)
                .where(INBOX.c.processed_at < cutoff)
                .limit(self._retention.batch_size)
            )
            async with self._engine.begin() as connection:
                if connection.dialect.name == "postgresql":  # another replica's batch is not waited for
                    oldest = oldest.with_for_update(skip_locked=True)
                result = await connection.execute(
                    INBOX.delete().where(tuple_(INBOX.c.consumer, INBOX.c.event_id).in_(oldest))
                )
            deleted = int(result.rowcount)
            pruned += deleted
            if deleted < self._retention.batch_size:
                break
            await asyncio.sleep(0)  # let the consumers' work run between batches
        if pruned:
            logger.info("pruned processed event ids", extra={"rows": pruned})
        return pruned

    async def run(self, stop: asyncio.Event) -> None:
        """Prune now and every `interval_seconds` until `stop` is set; a failure is retried next time."""
        while not stop.is_set():
            try:
                await self.prune()
            except Exception:
                logger.warning("could not prune the inbox; trying again later", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._retention.interval_seconds)
