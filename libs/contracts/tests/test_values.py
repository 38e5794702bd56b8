import base64
from datetime import time, timedelta, timezone

import pytest
from pydantic import ValidationError

from oncall_contracts.values import CoverageWindow, PagerDutyAccount, SealedCredential


def test_a_coverage_window_may_cross_midnight() -> None:
    window = CoverageWindow(start=time(22), end=time(6))

    assert (window.start, window.end) == (time(22), time(6))


def test_an_empty_coverage_window_is_rejected() -> None:
    with pytest.raises(ValidationError, match="use no window"):
        CoverageWindow(start=time(8), end=time(8))


def test_a_coverage_window_with_an_offset_is_rejected() -> None:
    with pytest.raises(ValidationError, match="wall clock"):
        CoverageWindow(start=time(8, tzinfo=timezone(timedelta(hours=1))), end=time(16))


def test_the_account_key_names_region_and_lower_cased_subdomain() -> None:
    account = PagerDutyAccount(subdomain="Acme-Corp", region="eu")

    assert account.key == "eu:acme-corp"


@pytest.mark.parametrize("subdomain", ["", "-acme", "acme.corp", "a b"])
def test_an_invalid_subdomain_is_rejected(subdomain: str) -> None:
    with pytest.raises(ValidationError):
        PagerDutyAccount(subdomain=subdomain, region="us")


def test_an_unknown_region_is_rejected() -> None:
    with pytest.raises(ValidationError):
        PagerDutyAccount(subdomain="acme", region="apac")


def _b64(size: int) -> str:
    return base64.b64encode(bytes(size)).decode()


@pytest.mark.parametrize(
    ("nonce", "ciphertext", "problem"),
    [
        ("u+plaintextkey", _b64(32), "nonce"),
        (_b64(12), "y_NbAkKc66ryYTWUXYEu", "ciphertext"),
        (_b64(8), _b64(32), "nonce must be 12 bytes"),
        (_b64(12), _b64(16), "too short"),
    ],
)
def test_a_sealed_credential_must_look_like_aes_gcm_output(nonce: str, ciphertext: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        SealedCredential(key_id="k1", nonce=nonce, ciphertext=ciphertext)


def test_a_sealed_credential_has_no_room_for_a_plaintext_field() -> None:
    with pytest.raises(ValidationError, match="api_key"):
        SealedCredential.model_validate(
            {"key_id": "k1", "nonce": _b64(12), "ciphertext": _b64(32), "api_key": "u+secret"}
        )
