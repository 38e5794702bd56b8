"""The provisioner's ports in memory: the store (the folded state behind a unit of work, and the work
queue, with the announcements it records), PagerDuty's user directory.

It keeps the SQL store's rules (tests/unit/test_folding_and_store.py runs the same cases on both): a
unit of work works on a copy of the committed state and replaces it on commit; claims are leases.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from oncall_contracts import SealedCredential
from oncall_testing.unit_of_work import InMemoryDatabase, InMemoryUnitOfWork
from user_provisioner.domain.model import (
    Account,
    AccountRejected,
    ClaimedUser,
    EmailAlreadyTaken,
    Member,
    PagerDutyUser,
    ProvisioningError,
)
from user_provisioner.service_layer.ports import Access
from user_provisioner.service_layer.unit_of_work import UnitOfWork


@dataclass
class AccountLink:
    account: Account
    credential: SealedCredential
    revision: int
    updated_at: datetime
    verified_at: datetime | None = None


@dataclass
class PendingWork:
    member: Member
    next_attempt_at: datetime
    state: str = "due"  # or "failed" (for good)
    attempts: int = 0
    claimed_until: datetime | None = None
    last_error: str | None = None

    def claimable(self, now: datetime) -> bool:
        free = self.claimed_until is None or self.claimed_until < now
        return self.state == "due" and self.next_attempt_at <= now and free


@dataclass
class State:
    memberships: dict[str, dict[str, Member]] = field(default_factory=dict)
    accounts: dict[str, AccountLink] = field(default_factory=dict)
    pending: dict[tuple[str, str], PendingWork] = field(default_factory=dict)
    provisioned: dict[tuple[str, str], str] = field(default_factory=dict)
    processed: set[tuple[str, uuid.UUID]] = field(default_factory=set)


class InMemoryRotationState:
    def __init__(self, state: State) -> None:
        self._state = state

    async def add_member(self, rotation_id: str, member: Member) -> None:
        self._state.memberships.setdefault(rotation_id, {})[member.email] = member

    async def remove_member(self, rotation_id: str, email: str) -> None:
        self._state.memberships.get(rotation_id, {}).pop(email, None)

    async def members(self, rotation_id: str) -> list[Member]:
        return list(self._state.memberships.get(rotation_id, {}).values())

    async def account_of(self, rotation_id: str) -> tuple[Account, int] | None:
        link = self._state.accounts.get(rotation_id)
        return None if link is None else (link.account, link.revision)

    async def set_account(
        self, rotation_id: str, account: Account, credential: SealedCredential, revision: int, now: datetime
    ) -> None:
        self._state.accounts[rotation_id] = AccountLink(account, credential, revision, now)

    async def remove_account(self, rotation_id: str) -> None:
        self._state.accounts.pop(rotation_id, None)

    async def want_user(self, account_key: str, member: Member, now: datetime) -> None:
        key = (account_key, member.email)
        if key in self._state.provisioned:
            return
        work = self._state.pending.get(key)
        if work is None:
            self._state.pending[key] = PendingWork(member, next_attempt_at=now)
        elif work.state == "failed":
            work.state, work.attempts, work.next_attempt_at, work.last_error = "due", 0, now, None

    async def drop_unwanted(self, account_key: str, emails: list[str]) -> None:
        for email in emails:
            if not self._wanted_elsewhere(account_key, email):
                self._state.pending.pop((account_key, email), None)

    async def forget_user(self, account_key: str, email: str, user_id: str) -> None:
        if self._state.provisioned.get((account_key, email)) == user_id:
            del self._state.provisioned[account_key, email]

    async def member_on_account(self, account_key: str, email: str) -> Member | None:
        for rotation_id in sorted(self._state.memberships):
            link = self._state.accounts.get(rotation_id)
            member = self._state.memberships[rotation_id].get(email)
            if link is not None and link.account.key == account_key and member is not None:
                return member
        return None

    def _wanted_elsewhere(self, account_key: str, email: str) -> bool:
        return any(
            link.account.key == account_key and email in self._state.memberships.get(rotation_id, {})
            for rotation_id, link in self._state.accounts.items()
        )


class FoldingUnitOfWork(InMemoryUnitOfWork[State], UnitOfWork):
    def attach(self, working: State) -> None:
        self.rotations = InMemoryRotationState(working)


class InMemoryProvisionerStore(InMemoryDatabase[State]):
    """The `WorkQueue` port (each call its own transaction) and the units of work that fold events."""

    def __init__(self) -> None:
        super().__init__(State())
        self.published: list[tuple[str, str]] = []  # the announcements, written with their outcomes
        self.failures: list[tuple[str, str, bool]] = []

    def unit_of_work(self) -> FoldingUnitOfWork:
        return FoldingUnitOfWork(self)

    async def accounts_with_due_work(self, now: datetime) -> list[str]:
        return sorted({key for (key, _), work in self.committed.pending.items() if work.claimable(now)})

    async def backlog(self) -> int:
        return sum(1 for work in self.committed.pending.values() if work.state == "due")

    async def claim(self, account_key: str, now: datetime, lease: timedelta, limit: int) -> list[ClaimedUser]:
        due = sorted(
            (
                work
                for (key, _), work in self.committed.pending.items()
                if key == account_key and work.claimable(now)
            ),
            key=lambda work: (work.next_attempt_at, work.member.email),
        )[:limit]
        for work in due:
            work.claimed_until = now + lease
        return [ClaimedUser(account_key, work.member, work.attempts) for work in due]

    async def renew(self, account_key: str, emails: list[str], until: datetime) -> None:
        for email in emails:
            work = self.committed.pending.get((account_key, email))
            if work is not None and work.claimed_until is not None:
                work.claimed_until = until

    async def access_to(self, account_key: str, emails: list[str]) -> dict[str, Access]:
        state, access = self.committed, {}
        for email in emails:
            links = [
                (rotation_id, link)
                for rotation_id, link in state.accounts.items()
                if link.account.key == account_key and email in state.memberships.get(rotation_id, {})
            ]
            if links:
                rotation_id, link = max(links, key=lambda pair: pair[1].updated_at)
                verified = link.verified_at is not None
                access[email] = Access(rotation_id, link.account, link.credential, verified)
        return access

    async def mark_verified(self, granted: Access, now: datetime) -> None:
        link = self.committed.accounts.get(granted.rotation_id)
        if link is not None and link.account == granted.account and link.credential == granted.credential:
            link.verified_at = now

    async def complete(self, account: Account, member: Member, user: PagerDutyUser, now: datetime) -> None:
        self.committed.provisioned.setdefault((account.key, member.email), user.id)
        self.committed.pending.pop((account.key, member.email), None)
        self.published.append((member.email, user.id))

    async def retry_later(
        self, account: Account, email: str, reason: str, at: datetime, *, announce: bool = False
    ) -> None:
        work = self.committed.pending.get((account.key, email))
        if work is not None:
            work.attempts += 1
            work.next_attempt_at, work.claimed_until, work.last_error = at, None, reason
        if announce:
            self.failures.append((email, reason, True))

    async def give_up(self, account: Account, email: str, reason: str) -> None:
        work = self.committed.pending.get((account.key, email))
        if work is not None:
            work.state, work.claimed_until, work.last_error = "failed", None, reason
        self.failures.append((email, reason, False))

    async def forget_work(self, account_key: str, emails: list[str]) -> None:
        for email in emails:
            self.committed.pending.pop((account_key, email), None)

    async def provisioned_user_id(self, account_key: str, email: str) -> str | None:
        return self.committed.provisioned.get((account_key, email))


class FakeDirectory:
    """The UserDirectory port in memory; `requests` lists what would have gone to PagerDuty."""

    def __init__(
        self, existing: dict[str, str] | None = None, errors: list[ProvisioningError] | None = None
    ) -> None:
        self.users = {email: PagerDutyUser(uid, email, email) for email, uid in (existing or {}).items()}
        self.errors = list(errors or [])
        self.requests: list[tuple[str, str]] = []
        self.prefetches: list[int] = []
        self._index: dict[str, PagerDutyUser] = {}

    async def prefetch(self, max_users: int) -> bool:
        self.prefetches.append(max_users)
        if len(self.users) > max_users:
            return False
        self._index = dict(self.users)
        return True

    def known(self, email: str) -> PagerDutyUser | None:
        return self._index.get(email.lower())

    async def find_by_email(self, email: str) -> PagerDutyUser | None:
        self._request("GET", email)
        return self.users.get(email.lower())

    async def create(self, member: Member) -> PagerDutyUser:
        self._request("POST", member.email)
        if member.email in self.users:
            raise EmailAlreadyTaken("Email has already been taken")
        user = self.users[member.email] = PagerDutyUser(f"U{len(self.users)}", member.email, member.name)
        return user

    @property
    def calls(self) -> int:
        return len(self.requests)

    def _request(self, method: str, email: str) -> None:
        self.requests.append((method, email))
        if self.errors:
            raise self.errors.pop(0)


class FakeDirectories:
    """`key_refusal`: what `check_key` raises (None: every key passes); `checked` records each check."""

    def __init__(
        self,
        directory: FakeDirectory,
        refusal: AccountRejected | None = None,
        key_refusal: ProvisioningError | None = None,
    ) -> None:
        self.directory = directory
        self.refusal = refusal
        self.key_refusal = key_refusal
        self.checked: list[tuple[Account, SealedCredential]] = []

    async def check_key(self, account: Account, credential: SealedCredential) -> None:
        self.checked.append((account, credential))
        if self.key_refusal is not None:
            raise self.key_refusal

    def directory_for(self, account: Account, credential: SealedCredential) -> FakeDirectory:
        if self.refusal is not None:
            raise self.refusal
        return self.directory
