import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from oncall_contracts import ContractError, Envelope, ShiftChanged, all_events, decode, encode, model_for
from oncall_contracts.fields import Email, UtcDatetime
from oncall_contracts.payload import RotationPayload
from oncall_contracts.registry import EventRegistry, build_registry

ROTATION_ID = "6f1c2b9e-3d4a-4c5b-8e7f-9a0b1c2d3e4f"


def _shift_envelope() -> Envelope[ShiftChanged]:
    payload = ShiftChanged(
        rotation_id=ROTATION_ID,
        shift_id="s-1",
        revision=1,
        start=datetime(2025, 3, 3, 8, tzinfo=UTC),
        end=datetime(2025, 3, 10, 8, tzinfo=UTC),
        primary="ada@example.com",
    )
    return Envelope.new(payload, producer="test", occurred_at=datetime(2025, 3, 1, tzinfo=UTC))


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(encode(_shift_envelope()).value)
    return document


def test_encode_sets_key_and_headers() -> None:
    envelope = _shift_envelope()

    encoded = encode(envelope)

    assert encoded.key == ROTATION_ID.encode()
    assert encoded.headers == {
        "event-type": "ShiftChanged",
        "event-version": "1",
        "event-id": str(envelope.event_id),
        "content-type": "application/json",
    }
    assert (b"event-type", b"ShiftChanged") in [(n.encode(), v) for n, v in encoded.kafka_headers()]


def test_decode_accepts_byte_headers_from_kafka() -> None:
    encoded = encode(_shift_envelope())

    decoded = decode(encoded.value, dict(encoded.kafka_headers()))

    assert decoded == _shift_envelope().model_copy(update={"event_id": decoded.event_id})
    assert isinstance(decoded.payload, ShiftChanged)


def test_the_registry_knows_every_v1_event() -> None:
    names = {model.EVENT_TYPE for model in all_events()}

    assert names == {
        "RotationCreated",
        "RotationUpdated",
        "RotationDeleted",
        "MemberAdded",
        "MemberRemoved",
        "ShiftChanged",
        "IntegrationConfigured",
        "IntegrationRemoved",
        "PagerDutyUserProvisioned",
        "PagerDutyUserMissing",
        "UserProvisioningFailed",
        "ScheduleSynced",
        "ScheduleSyncFailed",
        "ScheduleSyncWaiting",
        "ShiftRequested",
        "ShiftRequestAccepted",
        "ShiftRequestDeclined",
        "ShiftRequestCancelled",
        "ShiftRequestExpired",
        "ShiftRequestOutdated",
    }
    assert model_for("ShiftChanged", 1) is ShiftChanged


def test_model_for_an_unknown_event_raises_the_contract_error() -> None:
    with pytest.raises(ContractError, match="unknown event ShiftChanged v9"):
        model_for("ShiftChanged", 9)


def _bad(document: Any) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (b"\x00\xffnot json", None, "not JSON"),
        (b'{"type": "ShiftChanged", ', None, "not JSON"),
        (b"[1, 2, 3]", None, "not a JSON object but list"),
        (b'"ShiftChanged"', None, "not a JSON object but str"),
        (_bad({"version": 1, "payload": {}}), None, "no string 'type'"),
        (_bad(_document() | {"version": "1"}), None, "no integer 'version'"),
        (_bad(_document() | {"type": "ShiftMoved"}), None, "unknown event type 'ShiftMoved'"),
        (_bad(_document() | {"version": 2}), None, "unknown version 2 of ShiftChanged"),
        (_bad(_document() | {"payload": {"rotation_id": ROTATION_ID}}), None, "invalid ShiftChanged v1"),
        (_bad(_document() | {"payload": "oops"}), None, "invalid ShiftChanged v1"),
        (_bad(_document() | {"occurred_at": "2025-03-01T00:00:00"}), None, "occurred_at"),
        (_bad(_document() | {"subject": "elsewhere"}), None, "envelope says"),
        (encode(_shift_envelope()).value, {"event-type": "MemberAdded"}, "header event-type='MemberAdded'"),
        (encode(_shift_envelope()).value, {"event-version": b"2"}, "header event-version='2'"),
    ],
)
def test_bad_input_raises_the_contract_error_with_a_reason(
    value: bytes, headers: dict[str, str | bytes] | None, reason: str
) -> None:
    with pytest.raises(ContractError) as raised:
        decode(value, headers)

    assert reason in raised.value.reason
    assert str(raised.value) == raised.value.reason


def test_an_invalid_payload_reason_names_the_field() -> None:
    document = _document()
    document["payload"]["primary"] = "not-an-email"

    with pytest.raises(ContractError) as raised:
        decode(_bad(document))

    assert "payload.primary" in raised.value.reason


class ShiftChangedV2(RotationPayload):
    """A made-up breaking change: ``primary`` renamed to ``on_call``."""

    EVENT_TYPE: ClassVar[str] = "ShiftChanged"
    EVENT_VERSION: ClassVar[int] = 2

    shift_id: str
    revision: int
    start: UtcDatetime
    end: UtcDatetime
    on_call: Email | None


def _rename_primary(payload: dict[str, Any]) -> dict[str, Any]:
    renamed = {name: value for name, value in payload.items() if name != "primary"}
    return renamed | {"on_call": payload["primary"]}


def _evolved_registry() -> EventRegistry:
    registry = build_registry([ShiftChanged, ShiftChangedV2])
    registry.register_upcaster("ShiftChanged", 1, _rename_primary)
    return registry


def test_an_older_version_is_upcast_to_the_newest() -> None:
    v1 = encode(_shift_envelope())

    decoded = _evolved_registry().decode(v1.value, v1.headers)

    assert decoded.version == 2
    assert isinstance(decoded.payload, ShiftChangedV2)
    assert decoded.payload.on_call == "ada@example.com"
    assert decoded.event_id == _decoded_id(v1.value)


def _decoded_id(value: bytes) -> Any:
    return decode(value).event_id


def test_an_older_version_without_an_upcaster_or_model_is_refused() -> None:
    registry = build_registry([ShiftChangedV2])

    with pytest.raises(ContractError, match="unknown version 1 of ShiftChanged and no upcaster"):
        registry.decode(encode(_shift_envelope()).value)


def test_an_upcaster_that_fails_raises_the_contract_error() -> None:
    document = _document()
    del document["payload"]["primary"]

    with pytest.raises(ContractError, match="cannot upcast ShiftChanged v1"):
        _evolved_registry().decode(_bad(document))


def test_registering_two_models_for_one_type_and_version_is_refused() -> None:
    registry = build_registry([ShiftChanged])

    with pytest.raises(ValueError, match="registered twice"):
        registry.register(type("Impostor", (ShiftChanged,), {}))
