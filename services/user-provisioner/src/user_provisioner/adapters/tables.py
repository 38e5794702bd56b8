"""The provisioner's tables (its own database; migrations in services/user-provisioner/migrations)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlmodel import Field, SQLModel

from oncall_contracts import limits
from oncall_platform.tables import service_registry

_ROTATION_ID = String(limits.ID)
_EMAIL = String(limits.EMAIL)
_KEY = String(limits.ACCOUNT_KEY)
_NAME = String(limits.PERSON_NAME)
_TIME_ZONE = String(limits.TIME_ZONE)


class Table(SQLModel, registry=service_registry()):
    """The base of this service's tables (a registry of their own)."""


class Membership(Table, table=True):
    """Who is a member of which rotation (folded from MemberAdded / MemberRemoved)."""

    __tablename__ = "memberships"

    rotation_id: str = Field(primary_key=True, sa_type=_ROTATION_ID)
    email: str = Field(primary_key=True, sa_type=_EMAIL)
    name: str = Field(sa_type=_NAME)
    time_zone: str = Field(sa_type=_TIME_ZONE)


class RotationAccount(Table, table=True):
    """The PagerDuty account a rotation syncs into, with its API key sealed (never plaintext)."""

    __tablename__ = "rotation_accounts"

    rotation_id: str = Field(primary_key=True, sa_type=_ROTATION_ID)
    account_key: str = Field(index=True, sa_type=_KEY)
    subdomain: str = Field(sa_type=String(limits.SUBDOMAIN))
    region: str = Field(sa_type=String(limits.ENUM))
    credential_key_id: str = Field(sa_type=String(limits.CREDENTIAL_KEY_ID))
    credential_nonce: str = Field(sa_type=String(limits.CREDENTIAL_NONCE))
    credential_ciphertext: str = Field(sa_type=String(limits.CREDENTIAL_CIPHERTEXT))
    revision: int
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
    key_verified_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    """When this service last checked the stored key against PagerDuty; None until it has."""


class PendingUser(Table, table=True):
    """Durable intent: this (account, e-mail) must be provisioned. Deleted once it is.

    `state` is "due" (the worker picks it when `next_attempt_at` has passed and no live claim holds it)
    or "failed" (refused for good; revived when the integration is configured again).
    """

    __tablename__ = "pending_users"

    account_key: str = Field(primary_key=True, sa_type=_KEY)
    email: str = Field(primary_key=True, sa_type=_EMAIL)
    name: str = Field(sa_type=_NAME)
    time_zone: str = Field(sa_type=_TIME_ZONE)
    state: str = Field(default="due", index=True, sa_type=String(limits.ENUM))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=DateTime(timezone=True))
    claimed_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error: str | None = Field(default=None, sa_type=String(limits.REASON))


class ProvisionedUser(Table, table=True):
    """The mapping (account, e-mail) -> PagerDuty user id; the primary key makes it unique."""

    __tablename__ = "provisioned_users"

    account_key: str = Field(primary_key=True, sa_type=_KEY)
    email: str = Field(primary_key=True, sa_type=_EMAIL)
    user_id: str = Field(sa_type=String(limits.ID))
    name: str = Field(sa_type=_NAME)
    provisioned_at: datetime = Field(sa_type=DateTime(timezone=True))
