"""Kafka plumbing: the broker factory, topic declaration and event publishing.

Producers are idempotent with `acks=all`. Tracing is the platform's own, not faststream's middleware:
the outbox relay's publish span puts the W3C `traceparent` in the record's headers and the consumer
pipeline's span per event continues it, so faststream's extra span per batch and per publish (and
its cost per record) are left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from oncall_contracts.topics import TopicSpec
from oncall_platform.settings import DEFAULT_SHUTDOWN_GRACE_SECONDS

logger = logging.getLogger(__name__)
BROKER_LOGGER = "oncall_platform.faststream"


def make_broker(
    bootstrap_servers: str,
    *,
    client_id: str,
    graceful_timeout: float = DEFAULT_SHUTDOWN_GRACE_SECONDS,
    **options: Any,
) -> KafkaBroker:
    """A faststream Kafka broker with an idempotent, `acks=all` producer and tracing.

    `stop()` waits up to `graceful_timeout` seconds for the handlers in progress. faststream logs
    through a plain logger (its own has a coloured text handler), so its lines are JSON like every
    other; the per-message "Received"/"Processed" lines are DEBUG.
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        graceful_timeout=graceful_timeout,
        logger=logging.getLogger(BROKER_LOGGER),
        log_level=logging.DEBUG,
        enable_idempotence=True,
        acks="all",
        allow_auto_create_topics=False,
        **options,
    )


async def ensure_topics(bootstrap_servers: str, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the declared topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="oncall-topic-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        created: list[str] = []
        for spec in missing:
            topic = NewTopic(
                name=spec.name,
                num_partitions=spec.partitions,
                replication_factor=spec.replication_factor,
                topic_configs=dict(spec.config),
            )
            try:
                await admin.create_topics([topic])
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass  # another process declared it between our listing and our create
        if created:
            logger.info("created topics", extra={"topics": created})
        return created
    finally:
        await admin.close()
