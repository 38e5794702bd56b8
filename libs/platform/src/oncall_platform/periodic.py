"""The one "every interval until stopped" loop of the background tasks that run at once, then every
interval: the inbox pruning, the rotation service's and pd-sync's shift retention.

A failure is logged as a warning and the task is tried again at the next interval; `stop` ends the wait
at once, and a run in progress finishes first (the lifecycle's contract for a background task).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def run_periodically(
    task: Callable[[], Awaitable[object]], interval_seconds: float, stop: asyncio.Event, what: str
) -> None:
    """Run `task` now and every `interval_seconds` until `stop` is set. `what` names it in the warning
    of a failed run ("could not <what>; trying again later")."""
    while not stop.is_set():
        try:
            await task()
        except Exception:
            logger.warning("could not %s; trying again later", what, exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_seconds)
