"""Every text field of the contracts has a maximum length, and the models hold to it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from oncall_contracts import (
    CredentialError,
    CredentialSealer,
    Envelope,
    MemberAdded,
    PagerDutyAccount,
    Payload,
    ScheduleSyncFailed,
    UserProvisioningFailed,
    all_events,
    generate_key,
    limits,
)
from oncall_contracts.compat import schema_of
from oncall_contracts.values import CoverageWindow, SealedCredential

ROTATION_ID = "6f1c2b9e-3d4a-4c5b-8e7f-9a0b1c2d3e4f"
ACCOUNT = PagerDutyAccount(subdomain="acme", region="us")
# 64 + 1 + 63 + 1 + 63 + 1 + 57 + 4 = 254 characters, each part at its own limit.
LONGEST_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
# Formats whose values have a fixed, short shape.
_BOUNDED_FORMATS = {"date-time", "time", "duration", "uuid"}


def _string_nodes(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "string":
            yield path, node
        for key, child in node.items():
            yield from _string_nodes(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _string_nodes(child, f"{path}/{index}")


def _unbounded(schema: dict[str, Any]) -> list[str]:
    return [
        path
        for path, node in _string_nodes(schema, "")
        if "maxLength" not in node
        and "enum" not in node
        and "const" not in node
        and node.get("format") not in _BOUNDED_FORMATS
    ]


_SCHEMAS: dict[str, dict[str, Any]] = {
    **{model.__name__: schema_of(model) for model in all_events()},
    "Envelope": Envelope[Payload].model_json_schema(),
    **{model.__name__: model.model_json_schema() for model in (PagerDutyAccount, SealedCredential)},
}


@pytest.mark.parametrize("name", sorted(_SCHEMAS))
def test_every_text_field_has_a_maximum_length(name: str) -> None:
    assert _unbounded(_SCHEMAS[name]) == []


def test_the_check_finds_a_text_field_without_a_maximum_length() -> None:
    class Forgetful(BaseModel):
        note: str
        window: CoverageWindow

    assert _unbounded(Forgetful.model_json_schema()) == ["/properties/note"]


def _member(**changes: Any) -> MemberAdded:
    fields: dict[str, Any] = {
        "rotation_id": ROTATION_ID,
        "email": "ada@example.com",
        "name": "Ada",
        "time_zone": "Europe/Berlin",
    }
    return MemberAdded(**(fields | changes))


def test_a_name_as_long_as_pagerduty_allows_is_accepted() -> None:
    assert _member(name="n" * limits.PERSON_NAME).name == "n" * 100


@pytest.mark.parametrize("length", [limits.PERSON_NAME + 1, 250, 1_100_000])
def test_a_longer_name_is_refused_naming_the_field(length: int) -> None:
    started = time.perf_counter()
    with pytest.raises(ValidationError) as raised:
        _member(name="n" * length)

    assert [error["loc"] for error in raised.value.errors()] == [("name",)]
    assert raised.value.errors()[0]["type"] == "string_too_long"
    assert time.perf_counter() - started < 1.0


def test_the_longest_e_mail_is_accepted_and_a_longer_one_refused() -> None:
    assert len(LONGEST_EMAIL) == limits.EMAIL
    assert _member(email=LONGEST_EMAIL.upper()).email == LONGEST_EMAIL

    with pytest.raises(ValidationError) as raised:
        _member(email="a" + LONGEST_EMAIL)
    assert raised.value.errors()[0]["type"] == "string_too_long"


def test_an_invalid_e_mail_is_still_refused() -> None:
    with pytest.raises(ValidationError, match="email"):
        _member(email="not-an-address")


def test_an_over_long_time_zone_or_rotation_id_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(ValidationError) as zone:
        _member(time_zone="Europe/" + "x" * 1_000_000)
    with pytest.raises(ValidationError) as rotation:
        _member(rotation_id=ROTATION_ID * 10_000)

    assert zone.value.errors()[0]["type"] == rotation.value.errors()[0]["type"] == "string_too_long"


def test_reasons_are_truncated_not_refused() -> None:
    failed = UserProvisioningFailed(
        account=ACCOUNT, email="ada@example.com", reason="x" * 5000, retryable=False
    )
    sync_failed = ScheduleSyncFailed(
        rotation_id=ROTATION_ID, role="primary", reason="y" * 1001, retryable=True
    )
    short = ScheduleSyncFailed(rotation_id=ROTATION_ID, role="primary", reason="short", retryable=True)

    assert len(failed.reason) == len(sync_failed.reason) == limits.REASON
    assert failed.reason.endswith("…")
    assert sync_failed.reason.startswith("y" * 999)
    assert short.reason == "short"


def test_the_longest_api_key_seals_into_a_valid_credential_and_a_longer_one_is_refused() -> None:
    sealer = CredentialSealer({"k1": generate_key()}, active_key_id="k1")
    longest = "\U0001f511" * limits.API_KEY  # four UTF-8 bytes each: the longest ciphertext

    sealed = sealer.seal(longest, ACCOUNT.key)

    assert len(sealed.ciphertext) == limits.CREDENTIAL_CIPHERTEXT
    assert sealer.open(SealedCredential.model_validate(sealed.model_dump()), ACCOUNT.key) == longest
    with pytest.raises(CredentialError, match="longer than 200"):
        sealer.seal("k" * (limits.API_KEY + 1), ACCOUNT.key)


def test_truncate_marks_what_it_cut() -> None:
    assert limits.truncate("abc", 3) == "abc"
    assert limits.truncate("abcd", 3) == "ab…"
