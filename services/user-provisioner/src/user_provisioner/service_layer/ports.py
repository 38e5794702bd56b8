"""The seams the service layer depends on; adapters implement them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from oncall_contracts import SealedCredential
from user_provisioner.domain.model import Account, ClaimedUser, Member, PagerDutyUser


@dataclass(frozen=True)
class Access:
    """The credential one rotation's integration configured for an account: the key that rotation's
    people are provisioned with (never another team's key for the same account)."""

    rotation_id: str
    account: Account
    credential: SealedCredential
    verified: bool = False
    """Whether this service checked the key against PagerDuty since it was stored (rows from before
    the check, and every newly configured key, start unchecked)."""


class UserDirectory(Protocol):
    """The users of one PagerDuty account. Failures raise `domain.model.ProvisioningError` subclasses."""

    async def prefetch(self, max_users: int) -> bool:
        """Load the account's users in bulk so `known` can answer without a request; False (and no
        effect) when the account holds more than `max_users`."""
        ...

    def known(self, email: str) -> PagerDutyUser | None:
        """The prefetched user with this e-mail (exact, ignoring case), or None; never sends a request."""
        ...

    async def find_by_email(self, email: str) -> PagerDutyUser | None:
        """Ask PagerDuty for the user whose e-mail matches exactly (ignoring case), or None."""
        ...

    async def create(self, member: Member) -> PagerDutyUser:
        """Create the user; raises `EmailAlreadyTaken` when the e-mail is in use."""
        ...


class RotationState(Protocol):
    """The folded rotation state, read and written inside one event's transaction."""

    async def add_member(self, rotation_id: str, member: Member) -> None: ...

    async def remove_member(self, rotation_id: str, email: str) -> None: ...

    async def members(self, rotation_id: str) -> list[Member]: ...

    async def account_of(self, rotation_id: str) -> tuple[Account, int] | None:
        """The account the rotation syncs into and the integration revision that said so."""
        ...

    async def set_account(
        self, rotation_id: str, account: Account, credential: SealedCredential, revision: int, now: datetime
    ) -> None: ...

    async def remove_account(self, rotation_id: str) -> None: ...

    async def want_user(self, account_key: str, member: Member, now: datetime) -> None:
        """Queue the user unless already provisioned."""
        ...

    async def drop_unwanted(self, account_key: str, emails: list[str]) -> None:
        """Drop queued work no rotation on the account needs any more."""
        ...

    async def forget_user(self, account_key: str, email: str, user_id: str) -> None:
        """Drop the mapping of `email` if it still names `user_id` (PagerDuty no longer has that user)."""
        ...

    async def member_on_account(self, account_key: str, email: str) -> Member | None:
        """The member with this e-mail on a rotation syncing into the account, if any."""
        ...


class Directories(Protocol):
    """Opens an account's sealed key and gives its user directory; raises `AccountRejected` if it cannot."""

    def directory_for(self, account: Account, credential: SealedCredential) -> UserDirectory: ...

    async def check_key(self, account: Account, credential: SealedCredential) -> None:
        """The check `PUT /pagerduty` makes: the key opens this subdomain in this region and can write.
        Raises `AccountRejected` saying what to do, or `TemporaryFailure` if PagerDuty cannot tell now."""
        ...


class WorkQueue(Protocol):
    """The durable pending-work table the worker drains."""

    async def accounts_with_due_work(self, now: datetime) -> list[str]: ...

    async def backlog(self) -> int:
        """How many users wait to be provisioned (due now or retrying later; not failed for good)."""
        ...

    async def claim(
        self, account_key: str, now: datetime, lease: timedelta, limit: int
    ) -> list[ClaimedUser]: ...

    async def renew(self, account_key: str, emails: list[str], until: datetime) -> None:
        """Extend the claims still held on these users to `until` (work in progress keeps them)."""
        ...

    async def access_to(self, account_key: str, emails: list[str]) -> dict[str, Access]:
        """For each e-mail, the credential of a rotation on the account that has that member (the one
        configured most recently when several do); e-mails no such rotation has are left out."""
        ...

    async def mark_verified(self, granted: Access, now: datetime) -> None:
        """Record that `granted`'s key passed the check (unless the rotation stored another key since)."""
        ...

    async def complete(self, account: Account, member: Member, user: PagerDutyUser, now: datetime) -> None:
        """Record the user mapping, drop the work and announce PagerDutyUserProvisioned, in one
        transaction (the announcement goes through the outbox: a crash loses neither)."""
        ...

    async def retry_later(
        self, account: Account, email: str, reason: str, at: datetime, *, announce: bool = False
    ) -> None:
        """Try again at `at`; with `announce`, also announce a retryable UserProvisioningFailed."""
        ...

    async def give_up(self, account: Account, email: str, reason: str) -> None:
        """Mark the work failed for good and announce UserProvisioningFailed (not retryable)."""
        ...

    async def forget_work(self, account_key: str, emails: list[str]) -> None:
        """Drop the queued work of these e-mails (no rotation on the account needs them any more)."""
        ...
