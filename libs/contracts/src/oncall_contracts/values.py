"""Value types shared by several events."""

from __future__ import annotations

import base64
import binascii
from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oncall_contracts import limits

Role = Literal["primary", "backup"]
Region = Literal["us", "eu"]

NONCE_BYTES = 12
TAG_BYTES = 16


class CoverageWindow(BaseModel):
    """A daily window, wall clock in the rotation's zone, in which its people are on call.

    ``end <= start`` means the window crosses midnight. ``start == end`` is invalid: a rotation that
    covers the whole day has no window at all.
    """

    model_config = ConfigDict(frozen=True)

    start: time
    end: time

    @field_validator("start", "end")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("coverage times are wall clock in the rotation's zone; give no offset")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> CoverageWindow:
        if self.start == self.end:
            raise ValueError("coverage window start == end; use no window for 24 h coverage")
        return self


class PagerDutyAccount(BaseModel):
    """A PagerDuty account, named by its web subdomain and its service region."""

    model_config = ConfigDict(frozen=True)

    subdomain: str = Field(max_length=limits.SUBDOMAIN, pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    region: Region

    @field_validator("subdomain", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def key(self) -> str:
        """The account key ``"{region}:{subdomain}"``: the Kafka key of per-account events."""
        return f"{self.region}:{self.subdomain}"


def _decode_base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise ValueError(f"{field} is not base64") from error


class SealedCredential(BaseModel):
    """A PagerDuty API key sealed with AES-256-GCM (see ``credentials.CredentialSealer``).

    Only ``CredentialSealer.seal`` makes meaningful ones. The shape is checked (a 12-byte nonce and a
    ciphertext at least as long as the GCM tag) so a plaintext cannot pass for a sealed key by accident.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str = Field(max_length=limits.CREDENTIAL_KEY_ID, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    nonce: str = Field(max_length=limits.CREDENTIAL_NONCE)
    ciphertext: str = Field(max_length=limits.CREDENTIAL_CIPHERTEXT)

    @field_validator("nonce")
    @classmethod
    def _nonce_shape(cls, value: str) -> str:
        if len(_decode_base64(value, "nonce")) != NONCE_BYTES:
            raise ValueError(f"nonce must be {NONCE_BYTES} bytes")
        return value

    @field_validator("ciphertext")
    @classmethod
    def _ciphertext_shape(cls, value: str) -> str:
        if len(_decode_base64(value, "ciphertext")) <= TAG_BYTES:
            raise ValueError("ciphertext is too short to be AES-GCM output")
        return value
