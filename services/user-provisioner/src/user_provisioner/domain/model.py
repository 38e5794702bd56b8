"""What the provisioner knows: members, accounts and PagerDuty users, free of Kafka, HTTP and SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A rotation member who should exist as a PagerDuty user. `email` is lower-cased."""

    email: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class Account:
    """A PagerDuty account (`key` = "{region}:{subdomain}")."""

    subdomain: str
    region: str

    @property
    def key(self) -> str:
        return f"{self.region}:{self.subdomain}"


@dataclass(frozen=True)
class PagerDutyUser:
    """A user as PagerDuty reports it."""

    id: str
    email: str
    name: str


def exact_email_match(users: Iterable[PagerDutyUser], email: str) -> PagerDutyUser | None:
    """The user whose e-mail equals `email` ignoring case (a query also matches names and substrings)."""
    wanted = email.casefold()
    return next((user for user in users if user.email.casefold() == wanted), None)


class ProvisioningError(Exception):
    """Provisioning one user failed; `reason` says why in words fit for an event."""

    retryable: bool = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AccountRejected(ProvisioningError):
    """The account refuses all work with this credential (invalid or read-only key, missing licence)."""


class RequestRejected(ProvisioningError):
    """PagerDuty refused this one user (invalid input); repeating it unchanged cannot succeed."""


class TemporaryFailure(ProvisioningError):
    """PagerDuty could not answer now (rate limit, 5xx, timeout): try again later."""

    retryable = True


class EmailAlreadyTaken(RequestRejected):
    """Creation failed because a user with this e-mail exists: look it up and adopt it."""


@dataclass(frozen=True)
class ClaimedUser:
    """A pending (account, member) that one worker holds a claim on; `attempts` failed so far."""

    account_key: str
    member: Member
    attempts: int
