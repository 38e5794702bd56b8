"""Inbox pruning: processed event ids older than the redelivery window are deleted, a batch at a time.

The inbox (`processed_events`) only has to remember an event for as long as Kafka may hand it to the
consumer again. `serve` runs an `InboxPruner` as a background task of every service with a database
(`ServiceSettings.inbox_retention()`), so no service keeps a copy of this. The batches are
`oncall_platform.pruning.delete_older_than` on `processed_at` (one short transaction each, through its
index), the loop `oncall_platform.periodic.run_periodically`. Why the window is safe:
docs/design/platform.md ("Inbox pruning").
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_platform.clock import Clock, system_clock
from oncall_platform.inbox import ProcessedEvent
from oncall_platform.periodic import run_periodically
from oncall_platform.pruning import delete_older_than

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
        pruned = await delete_older_than(
            self._engine, INBOX.c.processed_at, cutoff, batch_size=self._retention.batch_size
        )
        if pruned:
            logger.info("pruned processed event ids", extra={"rows": pruned})
        return pruned

    async def run(self, stop: asyncio.Event) -> None:
        """Prune now and every `interval_seconds` until `stop` is set; a failure is retried next time."""
        await run_periodically(self.prune, self._retention.interval_seconds, stop, "prune the inbox")
