"""Write the chart's topic file from `oncall_contracts.topics`, the one declaration of the topics:

    uv run python deploy/helm/render_topics.py

`files/topics.json` lists every topic (name, partitions, config) and what each service may do on them
(the consumer group it reads with, the topics it reads and writes); the chart renders Strimzi
`KafkaTopic` and `KafkaUser` resources from it. A test fails when the file and the contracts disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from oncall_contracts.topics import KNOWN_CONSUMER_GROUPS, Topics

TOPICS_FILE = Path(__file__).resolve().parent / "oncall-scheduler" / "files" / "topics.json"
REPLICATION_FACTOR = 3  # the chart's default; `min.insync.replicas` follows from it


def topic_file() -> dict[str, Any]:
    topics = Topics(replication_factor=REPLICATION_FACTOR)
    # Who reads and writes what (see each service's bootstrap): the rotation service publishes rotation
    # events and reads sync results; pd-sync and the provisioner fold rotation events (pd-sync also the
    # provisioned users) and publish results. Each writes its own dead-letter topic.
    reads = {
        "rotation-service": [topics.pagerduty],
        "pd-sync-service": [topics.rotation, topics.pagerduty],
        "user-provisioner": [topics.rotation],
    }
    writes = {
        "rotation-service": [topics.rotation],
        "pd-sync-service": [topics.pagerduty],
        "user-provisioner": [topics.pagerduty],
    }
    access = {
        group: {"group": group, "reads": reads[group], "writes": [*writes[group], topics.dead_letter(group)]}
        for group in KNOWN_CONSUMER_GROUPS
    }
    return {
        "topics": [
            {"name": spec.name, "partitions": spec.partitions, "config": dict(sorted(spec.config.items()))}
            for spec in topics.specs()
        ],
        "access": access,
    }


def render() -> str:
    return json.dumps(topic_file(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    TOPICS_FILE.write_text(render())
    sys.stdout.write(f"wrote {TOPICS_FILE}\n")
