"""Topic names, partitions and settings: declared here, in one place, never created by accident."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oncall_contracts.envelope import Envelope
from oncall_contracts.payload import Payload, Stream

ROTATION_PARTITIONS = 6
PAGERDUTY_PARTITIONS = 6
DEAD_LETTER_PARTITIONS = 1

KNOWN_CONSUMER_GROUPS: tuple[str, ...] = ("rotation-service", "pd-sync-service", "user-provisioner")
"""The consumer groups of this project's services; ``specs()`` declares a dead-letter topic for each."""

_DAY_MS = 24 * 60 * 60 * 1000

# The rotation topic is the event-carried state of every rotation: a new consumer folds it from the
# beginning, so it is kept forever. It is not compacted: compaction by rotation id would keep only one
# event per rotation and lose the rest of its state.
ROTATION_CONFIG = {"cleanup.policy": "delete", "retention.ms": "-1"}
PAGERDUTY_CONFIG = {"cleanup.policy": "delete", "retention.ms": str(30 * _DAY_MS)}
DEAD_LETTER_CONFIG = {"cleanup.policy": "delete", "retention.ms": str(30 * _DAY_MS)}


@dataclass(frozen=True)
class TopicSpec:
    """What to create on the broker for one topic."""

    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Topics:
    """The project's topic names under an optional ``prefix`` (tests use a unique one each)."""

    prefix: str = ""
    replication_factor: int = 1
    consumer_groups: tuple[str, ...] = KNOWN_CONSUMER_GROUPS

    @property
    def rotation(self) -> str:
        """Every rotation event, keyed by rotation id."""
        return f"{self.prefix}oncall.rotation.v1"

    @property
    def pagerduty(self) -> str:
        """Provisioning and sync results, keyed by each payload's ``subject()``."""
        return f"{self.prefix}oncall.pagerduty.v1"

    def dead_letter(self, consumer_group: str) -> str:
        """Where ``consumer_group`` puts the messages it cannot decode."""
        return f"{self.prefix}oncall.dlq.{consumer_group}"

    def consumer_group(self, name: str) -> str:
        """The Kafka consumer group `name` under the prefix, so isolated runs never share a group."""
        return f"{self.prefix}{name}"

    def for_stream(self, stream: Stream) -> str:
        return self.rotation if stream == "rotation" else self.pagerduty

    def topic_for(self, event: Envelope[Any] | Payload | type[Payload]) -> str:
        """The topic that carries ``event`` (an envelope, a payload or a payload class)."""
        payload = event.payload if isinstance(event, Envelope) else event
        return self.for_stream(payload.STREAM)

    def specs(self) -> list[TopicSpec]:
        """Every topic to create: the two streams and a dead-letter topic per consumer group."""
        return [
            self._spec(self.rotation, ROTATION_PARTITIONS, ROTATION_CONFIG),
            self._spec(self.pagerduty, PAGERDUTY_PARTITIONS, PAGERDUTY_CONFIG),
            *(
                self._spec(self.dead_letter(group), DEAD_LETTER_PARTITIONS, DEAD_LETTER_CONFIG)
                for group in self.consumer_groups
            ),
        ]

    def _spec(self, name: str, partitions: int, config: dict[str, str]) -> TopicSpec:
        insync = "2" if self.replication_factor >= 3 else "1"
        return TopicSpec(
            name=name,
            partitions=partitions,
            replication_factor=self.replication_factor,
            config={**config, "min.insync.replicas": insync},
        )


def key_for(envelope: Envelope[Any]) -> bytes:
    """The Kafka key of ``envelope``: its subject, so all events of one aggregate stay in order."""
    return envelope.subject.encode()
