"""Long-running tasks of `serve`: the outbox relay, the horizon roll, the sync-result consumer."""

from __future__ import annotations

import asyncio
import logging

from oncall_platform.kafka import ensure_topics
from rotation_service.bootstrap import Container

logger = logging.getLogger(__name__)


async def roll_horizons_forever(container: Container) -> None:
    interval = container.settings.horizon_roll_interval_seconds
    while True:
        try:
            changed = await container.rotations.roll_horizons()
            logger.info("rolled allocation horizons", extra={"rotations_changed": changed})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("horizon roll failed; retrying at the next interval")
        await asyncio.sleep(interval)


async def consume_sync_results(container: Container, retry_delay: float = 2.0) -> None:
    """Starts the consumer once Kafka answers (it may be down when the service starts)."""
    broker = container.consumer_broker()
    settings = container.settings
    while True:
        try:
            await ensure_topics(settings.kafka_bootstrap_servers, settings.topics().specs())
            await broker.start()
            logger.info("consuming sync results", extra={"topic": settings.topics().pagerduty})
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("Kafka not reachable yet; consumer retries", exc_info=True)
            await broker.stop()
            await asyncio.sleep(retry_delay)


async def run_background(container: Container) -> None:
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(container.relay.run())
        tasks.create_task(roll_horizons_forever(container))
        tasks.create_task(consume_sync_results(container))
