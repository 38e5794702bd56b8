"""The long-running tasks of `serve` besides the outbox relay: the horizon roll and the shift-request
expiry (the platform's lifecycle runs them, and the relay; the sync-result consumer is a broker the
lifecycle starts)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from oncall_platform.lifecycle import Background
from rotation_service.adapters.shift_retention import ShiftPruner, ShiftRetention
from rotation_service.bootstrap import Container

logger = logging.getLogger(__name__)


async def roll_horizons(container: Container, stop: asyncio.Event) -> None:
    """Every HORIZON_ROLL_INTERVAL_SECONDS, until `stop` (a roll in progress finishes first)."""
    interval = container.settings.horizon_roll_interval_seconds
    while not stop.is_set():
        try:
            changed = await container.rotations.roll_horizons()
            logger.info("rolled allocation horizons", extra={"rotations_changed": changed})
        except Exception:
            logger.exception("horizon roll failed; retrying at the next interval")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def expire_shift_requests(container: Container, stop: asyncio.Event) -> None:
    """Every SHIFT_REQUEST_EXPIRY_INTERVAL_SECONDS: pending requests past their expiry are marked
    expired (ShiftRequestExpired), in batches."""
    interval = container.settings.shift_request_expiry_interval_seconds
    while not stop.is_set():
        try:
            while await container.shift_requests.expire_due() and not stop.is_set():
                pass
        except Exception:
            logger.exception("shift request expiry failed; retrying at the next interval")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


def background(container: Container) -> dict[str, Background]:
    return {
        "horizon roll": lambda stop: roll_horizons(container, stop),
        "shift request expiry": lambda stop: expire_shift_requests(container, stop),
        "shift retention": shift_pruner(container).run,
    }


def shift_pruner(container: Container) -> ShiftPruner:
    """Every SHIFT_PRUNE_INTERVAL_SECONDS, shifts ended SHIFT_RETENTION_DAYS ago are pruned."""
    settings = container.settings
    retention = ShiftRetention(
        keep=timedelta(days=settings.shift_retention_days),
        interval_seconds=settings.shift_prune_interval_seconds,
    )
    return ShiftPruner(container.engine, retention, clock=container.clock)
