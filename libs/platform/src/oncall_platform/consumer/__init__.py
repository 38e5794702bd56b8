"""The one way to consume events: decode, skip, de-duplicate, handle in one transaction, commit.

A service describes its consumer with `EventConsumer` (group, handled events, unit of work,
handler) and calls `subscribe`; see `pipeline` for the steps and guarantees, and
docs/design/platform.md ("Consumer pipeline").
"""

from oncall_platform.consumer.dead_letter import DeadLetter, DeadLetterTopic
from oncall_platform.consumer.failures import is_transient
from oncall_platform.consumer.pipeline import (
    CommittableUnit,
    ConsumerOptions,
    ConsumerPipeline,
    EventConsumer,
    InboxUnit,
    Progress,
    committing,
)
from oncall_platform.consumer.records import Record
from oncall_platform.consumer.subscription import subscribe

__all__ = [
    "CommittableUnit",
    "ConsumerOptions",
    "ConsumerPipeline",
    "DeadLetter",
    "DeadLetterTopic",
    "EventConsumer",
    "InboxUnit",
    "Progress",
    "Record",
    "committing",
    "is_transient",
    "subscribe",
]
