import uuid
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from oncall_contracts import (
    CredentialSealer,
    IntegrationConfigured,
    MemberAdded,
    PagerDutyAccount,
    RotationCreated,
    ScheduleSynced,
    ShiftChanged,
    generate_key,
)
from oncall_contracts.values import CoverageWindow

ROTATION_ID = "6f1c2b9e-3d4a-4c5b-8e7f-9a0b1c2d3e4f"
OTHER_ROTATION_ID = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"


def _shift(**changes: Any) -> ShiftChanged:
    fields: dict[str, Any] = {
        "rotation_id": ROTATION_ID,
        "shift_id": "s-1",
        "revision": 3,
        "start": datetime(2025, 3, 3, 8, tzinfo=UTC),
        "end": datetime(2025, 3, 10, 8, tzinfo=UTC),
        "primary": "ada@example.com",
        "backup": "bob@example.com",
    }
    return ShiftChanged(**(fields | changes))


def _rotation(**changes: Any) -> RotationCreated:
    fields: dict[str, Any] = {
        "rotation_id": ROTATION_ID,
        "name": "Platform",
        "time_zone": "Europe/Berlin",
        "period": timedelta(days=7),
        "first_shift_start": datetime(2025, 3, 3, 9),
        "handoffs": [timedelta(0)],
        "horizon_days": 180,
    }
    return RotationCreated(**(fields | changes))


def test_datetimes_are_normalised_to_utc() -> None:
    shift = _shift(start=datetime(2025, 3, 3, 9, tzinfo=timezone(timedelta(hours=1))))

    assert shift.start == datetime(2025, 3, 3, 8, tzinfo=UTC)
    assert shift.start.utcoffset() == timedelta(0)


def test_naive_datetimes_are_rejected_where_instants_are_meant() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        _shift(start=datetime(2025, 3, 3, 8))


def test_a_shift_must_start_before_it_ends() -> None:
    with pytest.raises(ValidationError, match="before its end"):
        _shift(end=datetime(2025, 3, 3, 8, tzinfo=UTC))


def test_one_person_cannot_be_primary_and_backup() -> None:
    with pytest.raises(ValidationError, match="both primary and backup"):
        _shift(primary="Ada@Example.com", backup="ada@example.com")


def test_emails_are_lower_cased_and_rotation_ids_canonical() -> None:
    member = MemberAdded(
        rotation_id=ROTATION_ID.upper(), email="Ada.Lovelace@Example.COM", name="Ada", time_zone="UTC"
    )

    assert member.email == "ada.lovelace@example.com"
    assert member.rotation_id == ROTATION_ID
    assert member.subject() == ROTATION_ID


def test_an_invalid_email_is_rejected() -> None:
    with pytest.raises(ValidationError, match="email"):
        MemberAdded(rotation_id=ROTATION_ID, email="not-an-email", name="Ada", time_zone="UTC")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "CEST", "", "../etc/passwd"])
def test_unknown_time_zones_are_rejected(zone: str) -> None:
    with pytest.raises(ValidationError, match="IANA"):
        _rotation(time_zone=zone)


def test_a_rotation_id_must_be_a_uuid() -> None:
    with pytest.raises(ValidationError, match="not a UUID"):
        _rotation(rotation_id="rotation-1")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"period": timedelta(0), "handoffs": []}, "at least 1"),
        ({"handoffs": [timedelta(days=7)]}, r"\[0, period\)"),
        ({"handoffs": [timedelta(days=2), timedelta(days=1)]}, "strictly increasing"),
        ({"horizon_days": 0}, "greater than 0"),
        ({"first_shift_start": datetime(2025, 3, 3, 9, tzinfo=UTC)}, "timezone"),
    ],
)
def test_rotation_settings_are_checked(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        _rotation(**changes)


def test_payloads_are_frozen() -> None:
    shift = _shift()

    with pytest.raises(ValidationError, match="frozen"):
        shift.revision = 4  # type: ignore[misc]


def _integration(**changes: Any) -> IntegrationConfigured:
    sealer = CredentialSealer({"k1": generate_key()}, active_key_id="k1")
    account = PagerDutyAccount(subdomain="acme", region="us")
    fields: dict[str, Any] = {
        "rotation_id": ROTATION_ID,
        "rotation_name": "Platform EU",
        "mode": "own",
        "target_rotation_id": ROTATION_ID,
        "schedule_name": "Platform",
        "account": account,
        "credential": sealer.seal("u+secret", account.key),
        "time_zone": "Europe/Berlin",
        "schedule_time_zone": "Europe/Berlin",
        "coverage": CoverageWindow(start=time(8), end=time(16)),
        "revision": 1,
    }
    return IntegrationConfigured(**(fields | changes))


def test_own_mode_targets_the_rotation_itself() -> None:
    with pytest.raises(ValidationError, match="'own' needs"):
        _integration(target_rotation_id=OTHER_ROTATION_ID)


def test_merge_mode_targets_another_rotation() -> None:
    assert _integration(mode="merge", target_rotation_id=OTHER_ROTATION_ID).mode == "merge"
    with pytest.raises(ValidationError, match="'merge' needs"):
        _integration(mode="merge")


def test_schedule_synced_is_keyed_by_rotation() -> None:
    synced = ScheduleSynced(
        rotation_id=ROTATION_ID,
        role="backup",
        schedule_id="PSCHED1",
        schedule_url="https://acme.pagerduty.com/schedules/PSCHED1",
        layer_ids=["PL1"],
        synced_until=datetime(2025, 9, 1, tzinfo=UTC),
        requests_spent=4,
    )

    assert synced.subject() == ROTATION_ID
    assert synced.STREAM == "pagerduty"


def test_unknown_fields_from_newer_producers_are_ignored() -> None:
    member = MemberAdded.model_validate(
        {
            "rotation_id": str(uuid.UUID(ROTATION_ID)),
            "email": "a@example.com",
            "name": "A",
            "time_zone": "UTC",
            "phone": "+4912345",
        }
    )

    assert "phone" not in member.model_dump()


def test_a_plaintext_api_key_cannot_be_the_credential() -> None:
    with pytest.raises(ValidationError, match="credential"):
        _integration(credential="u+Xy7pLq9RtZ3kWm8vNb")


def test_a_credential_with_a_plaintext_field_is_refused() -> None:
    sealed = _integration().credential.model_dump()

    with pytest.raises(ValidationError, match="api_key"):
        _integration(credential=sealed | {"api_key": "u+Xy7pLq9RtZ3kWm8vNb"})


def test_a_plaintext_key_passed_beside_the_credential_is_not_kept() -> None:
    integration = _integration(api_key="u+Xy7pLq9RtZ3kWm8vNb")

    assert "u+Xy7pLq9RtZ3kWm8vNb" not in integration.model_dump_json()
    assert "u+Xy7pLq9RtZ3kWm8vNb" not in repr(integration)
