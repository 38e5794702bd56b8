import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from oncall_contracts import Envelope, MemberRemoved, RotationDeleted

ROTATION_ID = "6f1c2b9e-3d4a-4c5b-8e7f-9a0b1c2d3e4f"


def test_new_derives_type_version_and_subject_from_the_payload() -> None:
    payload = MemberRemoved(rotation_id=ROTATION_ID, email="a@example.com")
    correlation, causation = uuid.uuid4(), uuid.uuid4()

    envelope = Envelope.new(
        payload, producer="rotation-service", correlation_id=correlation, causation_id=causation
    )

    assert (envelope.type, envelope.version, envelope.subject) == ("MemberRemoved", 1, ROTATION_ID)
    assert (envelope.correlation_id, envelope.causation_id) == (correlation, causation)
    assert envelope.payload is payload
    assert envelope.occurred_at.tzinfo is UTC


def test_every_new_envelope_gets_its_own_event_id() -> None:
    payload = RotationDeleted(rotation_id=ROTATION_ID)

    ids = {Envelope.new(payload, producer="p").event_id for _ in range(20)}

    assert len(ids) == 20


def test_occurred_at_is_normalised_to_utc_and_must_be_aware() -> None:
    payload = RotationDeleted(rotation_id=ROTATION_ID)
    berlin = timezone(timedelta(hours=2))

    envelope = Envelope.new(payload, producer="p", occurred_at=datetime(2025, 6, 1, 12, tzinfo=berlin))

    assert envelope.occurred_at == datetime(2025, 6, 1, 10, tzinfo=UTC)
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError, match="timezone"):
        Envelope.new(payload, producer="p", occurred_at=datetime(2025, 6, 1, 12))


def test_an_envelope_that_contradicts_its_payload_is_rejected() -> None:
    payload = RotationDeleted(rotation_id=ROTATION_ID)

    with pytest.raises(ValidationError, match="envelope says"):
        Envelope[RotationDeleted](
            type="RotationDeleted",
            version=1,
            occurred_at=datetime.now(UTC),
            producer="p",
            subject="another-rotation",
            payload=payload,
        )


def test_a_producer_name_is_required() -> None:
    with pytest.raises(ValidationError, match="producer"):
        Envelope.new(RotationDeleted(rotation_id=ROTATION_ID), producer="")
