import uuid
from datetime import UTC, datetime

from oncall_contracts import Envelope, PagerDutyAccount, PagerDutyUserProvisioned, RotationDeleted, Topics
from oncall_contracts.topics import key_for


def test_topic_names_carry_the_prefix() -> None:
    topics = Topics(prefix="t123-")

    assert topics.rotation == "t123-oncall.rotation.v1"
    assert topics.pagerduty == "t123-oncall.pagerduty.v1"
    assert topics.dead_letter("pd-sync-service") == "t123-oncall.dlq.pd-sync-service"


def test_specs_declare_partitions_and_retention() -> None:
    specs = {spec.name: spec for spec in Topics(prefix="p.").specs()}

    assert specs["p.oncall.rotation.v1"].partitions == 6
    assert specs["p.oncall.rotation.v1"].config["retention.ms"] == "-1"
    assert specs["p.oncall.rotation.v1"].config["cleanup.policy"] == "delete"
    assert specs["p.oncall.pagerduty.v1"].partitions == 6
    assert specs["p.oncall.dlq.user-provisioner"].partitions == 1
    assert all(spec.replication_factor == 1 for spec in specs.values())


def test_specs_follow_the_replication_factor() -> None:
    specs = Topics(replication_factor=3).specs()

    assert {spec.replication_factor for spec in specs} == {3}
    assert {spec.config["min.insync.replicas"] for spec in specs} == {"2"}


def test_events_go_to_their_stream_keyed_by_subject() -> None:
    rotation_id = str(uuid.uuid4())
    account = PagerDutyAccount(subdomain="acme", region="us")
    deleted = Envelope.new(RotationDeleted(rotation_id=rotation_id), producer="test")
    provisioned = Envelope.new(
        PagerDutyUserProvisioned(account=account, email="a@acme.io", user_id="PABC123", name="A"),
        producer="test",
        occurred_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    topics = Topics()

    assert topics.topic_for(deleted) == topics.rotation
    assert topics.topic_for(provisioned) == topics.pagerduty
    assert topics.topic_for(RotationDeleted) == topics.rotation
    assert key_for(deleted) == rotation_id.encode()
    assert key_for(provisioned) == b"us:acme"


def test_consumer_groups_live_under_the_prefix() -> None:
    from oncall_contracts.topics import Topics

    assert Topics(prefix="t1.").consumer_group("pd-sync-service") == "t1.pd-sync-service"
    assert Topics().consumer_group("pd-sync-service") == "pd-sync-service"
