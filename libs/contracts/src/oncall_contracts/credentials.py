"""Sealing PagerDuty API keys for the bus with AES-256-GCM.

Keys come from configuration (``CREDENTIAL_KEYS="kid1:BASE64KEY,kid0:BASE64KEY"``, first is active).
To rotate keys, put a new key first and keep the old ones until nothing sealed with them is left:
``open`` accepts any known key id, ``seal`` always uses the active one.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from oncall_contracts import limits
from oncall_contracts.values import NONCE_BYTES, SealedCredential

KEY_BYTES = 32
ENV_VAR = "CREDENTIAL_KEYS"
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CredentialError(ValueError):
    """A credential cannot be sealed or opened, or the key configuration is invalid."""


def generate_key() -> bytes:
    """A fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)


def env_entry(key_id: str, key: bytes) -> str:
    """One ``kid:BASE64KEY`` entry of ``CREDENTIAL_KEYS``."""
    return f"{key_id}:{base64.b64encode(key).decode()}"


def _associated_data(key_id: str, context: str) -> bytes:
    # Binding the key id and the context (the account key) means a sealed credential copied into
    # another account's event, or relabelled with another key id, fails to open.
    return f"oncall-credential:v1|{key_id}|{context}".encode()


def parse_keys(value: str) -> dict[str, bytes]:
    """The keys of ``"kid1:BASE64KEY,kid0:BASE64KEY"`` by key id, in the order given."""
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(part.strip() for part in value.split(",")):
        key_id, separator, encoded = entry.partition(":")
        if not separator:
            raise CredentialError(f"{ENV_VAR} entry {position} is not 'kid:BASE64KEY'")
        if key_id in keys:
            raise CredentialError(f"{ENV_VAR} names key id {key_id!r} twice")
        try:
            keys[key_id] = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise CredentialError(f"{ENV_VAR} key {key_id!r} is not base64") from None
    return keys


class CredentialSealer:
    """Seals with the active key; opens with any known key. Never shows its keys in repr or str."""

    def __init__(self, keys: dict[str, bytes], active_key_id: str) -> None:
        for key_id, key in keys.items():
            if not _KEY_ID.match(key_id):
                raise CredentialError(f"invalid key id {key_id!r} (letters, digits, '._-', 1-64)")
            if len(key) != KEY_BYTES:
                raise CredentialError(f"key {key_id!r} must be {KEY_BYTES} bytes, not {len(key)}")
        if active_key_id not in keys:
            raise CredentialError(f"the active key id {active_key_id!r} is not among the keys")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active_key_id = active_key_id

    @classmethod
    def from_env_value(cls, value: str) -> CredentialSealer:
        """Parse ``"kid1:BASE64KEY,kid0:BASE64KEY"``; the first key is the active one."""
        keys = parse_keys(value)
        return cls(keys, active_key_id=next(iter(keys)))

    @property
    def active_key_id(self) -> str:
        return self._active_key_id

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._ciphers)

    def seal(self, api_key: str, context: str) -> SealedCredential:
        """Encrypt ``api_key`` with the active key, bound to ``context`` (the PagerDuty account key)."""
        if not api_key:
            raise CredentialError("refusing to seal an empty API key")
        if len(api_key) > limits.API_KEY:
            raise CredentialError(f"refusing to seal an API key longer than {limits.API_KEY} characters")
        nonce = os.urandom(NONCE_BYTES)
        associated = _associated_data(self._active_key_id, context)
        ciphertext = self._ciphers[self._active_key_id].encrypt(nonce, api_key.encode(), associated)
        return SealedCredential(
            key_id=self._active_key_id,
            nonce=base64.b64encode(nonce).decode(),
            ciphertext=base64.b64encode(ciphertext).decode(),
        )

    def open(self, sealed: SealedCredential, context: str) -> str:
        """The API key in ``sealed``; ``CredentialError`` if the key id is unknown or it was tampered
        with or sealed for another context."""
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise CredentialError(f"unknown credential key id {sealed.key_id!r}")
        try:
            plaintext = cipher.decrypt(
                base64.b64decode(sealed.nonce),
                base64.b64decode(sealed.ciphertext),
                _associated_data(sealed.key_id, context),
            )
        except InvalidTag:
            raise CredentialError(
                f"credential sealed with {sealed.key_id!r} does not open for context {context!r}"
            ) from None
        return plaintext.decode()

    def needs_resealing(self, sealed: SealedCredential) -> bool:
        """True when ``sealed`` is not under the active key (reseal it after a key rotation)."""
        return sealed.key_id != self._active_key_id

    def __repr__(self) -> str:
        return f"CredentialSealer(active_key_id={self._active_key_id!r}, key_ids={sorted(self._ciphers)})"

    __str__ = __repr__
