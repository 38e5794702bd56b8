import pytest

from oncall_contracts.credentials import CredentialError, CredentialSealer, env_entry, generate_key

API_KEY = "u+Xy7pLq9RtZ3kWm8vNb"
ACCOUNT = "us:acme"


def test_a_sealed_key_opens_to_the_same_plaintext() -> None:
    sealer = CredentialSealer({"k1": generate_key()}, active_key_id="k1")

    sealed = sealer.seal(API_KEY, ACCOUNT)

    assert sealer.open(sealed, ACCOUNT) == API_KEY
    assert API_KEY not in sealed.model_dump_json()
    assert sealed.key_id == "k1"


def test_sealing_twice_uses_fresh_nonces() -> None:
    sealer = CredentialSealer({"k1": generate_key()}, active_key_id="k1")

    first, second = sealer.seal(API_KEY, ACCOUNT), sealer.seal(API_KEY, ACCOUNT)

    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


def test_a_key_sealed_for_one_account_does_not_open_for_another() -> None:
    sealer = CredentialSealer({"k1": generate_key()}, active_key_id="k1")
    sealed = sealer.seal(API_KEY, ACCOUNT)

    with pytest.raises(CredentialError, match="does not open"):
        sealer.open(sealed, "eu:acme")


def test_a_tampered_ciphertext_does_not_open() -> None:
    sealer = CredentialSealer({"k1": generate_key()}, active_key_id="k1")
    sealed = sealer.seal(API_KEY, ACCOUNT)
    flipped = sealed.ciphertext[:-4] + ("AAAA" if sealed.ciphertext[-4:] != "AAAA" else "BBBB")

    with pytest.raises(CredentialError):
        sealer.open(sealed.model_copy(update={"ciphertext": flipped}), ACCOUNT)


def test_after_rotation_old_credentials_open_and_new_ones_use_the_new_key() -> None:
    old_key, new_key = generate_key(), generate_key()
    before = CredentialSealer.from_env_value(env_entry("k0", old_key))
    sealed_before = before.seal(API_KEY, ACCOUNT)

    after = CredentialSealer.from_env_value(f"{env_entry('k1', new_key)}, {env_entry('k0', old_key)}")

    assert after.active_key_id == "k1"
    assert after.open(sealed_before, ACCOUNT) == API_KEY
    assert after.needs_resealing(sealed_before)
    resealed = after.seal(API_KEY, ACCOUNT)
    assert resealed.key_id == "k1"
    assert not after.needs_resealing(resealed)
    with pytest.raises(CredentialError, match="unknown credential key id 'k1'"):
        before.open(resealed, ACCOUNT)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("nokeyhere", "not 'kid:BASE64KEY'"),
        ("k1:not base64!", "not base64"),
        ("k1:AAAA", "must be 32 bytes"),
        ("bad id:" + "A" * 44, "invalid key id"),
    ],
)
def test_a_bad_env_value_is_refused_clearly(value: str, problem: str) -> None:
    with pytest.raises(CredentialError, match=problem):
        CredentialSealer.from_env_value(value)


def test_a_key_id_named_twice_is_refused() -> None:
    entry = env_entry("k1", generate_key())

    with pytest.raises(CredentialError, match="twice"):
        CredentialSealer.from_env_value(f"{entry},{entry}")


def test_the_active_key_must_be_known() -> None:
    with pytest.raises(CredentialError, match="active key id"):
        CredentialSealer({"k1": generate_key()}, active_key_id="k2")


def test_keys_never_show_in_repr_or_str() -> None:
    key = generate_key()
    entry = env_entry("k1", key)
    sealer = CredentialSealer.from_env_value(entry)

    shown = repr(sealer) + str(sealer)

    assert "k1" in shown
    assert entry.partition(":")[2] not in shown
    assert repr(key) not in shown


def test_an_empty_api_key_is_not_sealed() -> None:
    sealer = CredentialSealer({"k1": generate_key()}, active_key_id="k1")

    with pytest.raises(CredentialError, match="empty"):
        sealer.seal("", ACCOUNT)
