from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from provisioner_fakes import FakeDirectories, FakeDirectory

from oncall_contracts import SealedCredential
from oncall_testing.eventually import eventually
from user_provisioner.domain.model import (
    Account,
    AccountRejected,
    ClaimedUser,
    Member,
    PagerDutyUser,
    RequestRejected,
    TemporaryFailure,
)
from user_provisioner.service_layer.ports import Access
from user_provisioner.service_layer.worker import ProvisioningWorker, WorkerOptions

NOW = datetime(2030, 1, 1, tzinfo=UTC)
ACME = Account("acme", "us")
CREDENTIAL = SealedCredential(key_id="k1", nonce="AAAAAAAAAAAAAAAA", ciphertext="AAAAAAAAAAAAAAAAAAAAAAAA")


def member(i: int) -> Member:
    return Member(email=f"p{i}@example.com", name=f"P {i}", time_zone="UTC")


class FakeQueue:
    """The WorkQueue port in memory: pending e-mails per account with attempts and state."""

    def __init__(self, members: list[Member], attempts: int = 0, broken: bool = False) -> None:
        self.pending = {m.email: (m, attempts) for m in members}
        self.completed: dict[str, str] = {}
        self.failed: dict[str, str] = {}
        self.retrying: dict[str, datetime] = {}
        self.has_access = True
        self.broken = broken  # the database refuses to record a completion
        self.published: list[tuple[str, str]] = []  # announcements written with the outcomes
        self.failures: list[tuple[str, str, bool]] = []
        self.renewals: list[list[str]] = []
        self.verified = False  # the stored key was not checked yet

    async def mark_verified(self, granted: Access, now: datetime) -> None:
        self.verified = True

    async def renew(self, account_key: str, emails: list[str], until: datetime) -> None:
        self.renewals.append([email for email in emails if email in self.pending])

    async def accounts_with_due_work(self, now: datetime) -> list[str]:
        return [ACME.key] if self._due() else []

    async def backlog(self) -> int:
        return sum(1 for email in self.pending if email not in self.failed)

    async def claim(self, account_key: str, now: datetime, lease: timedelta, limit: int) -> list[ClaimedUser]:
        due = self._due()[:limit]
        for m, _ in due:
            self.retrying[m.email] = now + lease  # claimed: not due again in this run
        return [ClaimedUser(account_key, m, attempts) for m, attempts in due]

    async def access_to(self, account_key: str, emails: list[str]) -> dict[str, Access]:
        if not self.has_access:
            return {}
        return {email: Access("r1", ACME, CREDENTIAL, self.verified) for email in emails}

    async def complete(self, account: Account, member: Member, user: PagerDutyUser, now: datetime) -> None:
        if self.broken:
            raise ConnectionError("the database is down")
        self.completed[member.email] = user.id
        del self.pending[member.email]
        self.published.append((member.email, user.id))

    async def retry_later(
        self, account: Account, email: str, reason: str, at: datetime, *, announce: bool = False
    ) -> None:
        self.retrying[email] = at
        if announce:
            self.failures.append((email, reason, True))

    async def give_up(self, account: Account, email: str, reason: str) -> None:
        self.failed[email] = reason
        self.failures.append((email, reason, False))

    async def forget_work(self, account_key: str, emails: list[str]) -> None:
        for email in emails:
            self.pending.pop(email, None)

    def _due(self) -> list[tuple[Member, int]]:
        return [
            entry
            for email, entry in self.pending.items()
            if email not in self.retrying and email not in self.failed
        ]


def worker(
    queue: FakeQueue, directory: FakeDirectory, directories: FakeDirectories | None = None, **kwargs: object
) -> ProvisioningWorker:
    directories = directories or FakeDirectories(directory, kwargs.pop("refusal", None))  # type: ignore[arg-type]
    options = WorkerOptions(batch_size=3, concurrency=2, prefetch_threshold=3)
    return ProvisioningWorker(queue, directories, options, clock=lambda: NOW)


async def test_every_due_user_is_created_then_recorded_with_its_announcement() -> None:
    queue, directory = FakeQueue([member(i) for i in range(7)]), FakeDirectory()

    await worker(queue, directory).drain_account(ACME.key)

    assert sorted(queue.completed) == sorted(m.email for m in map(member, range(7)))
    assert sorted(queue.published) == sorted(queue.completed.items())
    assert queue.pending == {}


async def test_each_new_user_costs_one_request() -> None:
    queue, directory = FakeQueue([member(i) for i in range(7)]), FakeDirectory()

    await worker(queue, directory).drain_account(ACME.key)

    assert sorted(directory.requests) == sorted(("POST", m.email) for m in map(member, range(7)))


async def test_an_existing_user_is_adopted_not_created() -> None:
    queue = FakeQueue([member(1)])  # below the prefetch threshold
    directory = FakeDirectory(existing={"p1@example.com": "PEXIST"})

    await worker(queue, directory).drain_account(ACME.key)

    assert queue.published == [("p1@example.com", "PEXIST")]
    assert len(directory.users) == 1
    assert directory.requests == [("POST", "p1@example.com"), ("GET", "p1@example.com")]


async def test_a_prefetched_existing_user_costs_no_request() -> None:
    queue = FakeQueue([member(i) for i in range(3)])
    directory = FakeDirectory(existing={"p1@example.com": "PEXIST"})

    await worker(queue, directory).drain_account(ACME.key)

    assert directory.prefetches == [30]
    assert sorted(directory.requests) == [("POST", "p0@example.com"), ("POST", "p2@example.com")]
    assert queue.completed["p1@example.com"] == "PEXIST"


async def test_an_account_refusal_fails_the_rest_without_more_requests() -> None:
    queue = FakeQueue([member(i) for i in range(9)])
    directory = FakeDirectory(errors=[AccountRejected("the PagerDuty API key is invalid (401)")] * 9)

    await worker(queue, directory).drain_account(ACME.key)

    assert len(queue.failed) == 9
    assert 1 <= directory.calls <= 2  # only those in flight (concurrency 2) when the refusal came
    assert all(not retryable and "401" in reason for _, reason, retryable in queue.failures)
    assert queue.published == []


async def test_an_unopenable_credential_fails_every_user() -> None:
    queue, directory = FakeQueue([member(1), member(2)]), FakeDirectory()

    await worker(queue, directory, refusal=AccountRejected("cannot be opened")).drain_account(ACME.key)

    assert sorted(queue.failed) == ["p1@example.com", "p2@example.com"]
    assert directory.calls == 0


async def test_a_key_not_checked_yet_is_checked_once_before_its_first_use() -> None:
    queue, directory = FakeQueue([member(i) for i in range(7)]), FakeDirectory()  # three batches
    directories = FakeDirectories(directory)

    await worker(queue, directory, directories).drain_account(ACME.key)

    assert directories.checked == [(ACME, CREDENTIAL)]
    assert queue.verified
    assert len(queue.completed) == 7


async def test_a_key_that_fails_the_check_creates_nobody_and_asks_for_it_again() -> None:
    """An old row's key that opens another account: no request with it, so no mapping from it."""
    queue, directory = FakeQueue([member(i) for i in range(5)]), FakeDirectory()
    refusal = AccountRejected("the subdomain check failed: enter the key again")
    directories = FakeDirectories(directory, key_refusal=refusal)

    await worker(queue, directory, directories).drain_account(ACME.key)

    assert directory.calls == 0
    assert queue.completed == {}
    assert queue.published == []
    assert len(queue.failed) == 5
    assert all(not retryable and "enter the key again" in why for _, why, retryable in queue.failures)
    assert len(directories.checked) == 1, "the refusal stops the rotation's later batches too"
    assert not queue.verified


async def test_a_check_pagerduty_cannot_answer_now_is_tried_again_later() -> None:
    queue, directory = FakeQueue([member(1)]), FakeDirectory()
    directories = FakeDirectories(directory, key_refusal=TemporaryFailure("PagerDuty 503"))

    await worker(queue, directory, directories).drain_account(ACME.key)

    assert directory.calls == 0
    assert queue.failures == [("p1@example.com", "PagerDuty 503", True)]
    assert "p1@example.com" in queue.retrying
    assert "p1@example.com" in queue.pending
    assert not queue.verified


async def test_a_temporary_failure_is_reported_once_and_retried_later() -> None:
    directory = FakeDirectory(errors=[TemporaryFailure("PagerDuty 503")])
    queue = FakeQueue([member(1)])

    await worker(queue, directory).drain_account(ACME.key)

    assert queue.failures == [("p1@example.com", "PagerDuty 503", True)]
    assert NOW < queue.retrying["p1@example.com"] <= NOW + timedelta(seconds=1)
    assert "p1@example.com" in queue.pending


async def test_later_temporary_failures_back_off_quietly() -> None:
    directory = FakeDirectory(errors=[TemporaryFailure("PagerDuty 503")])
    queue = FakeQueue([member(1)], attempts=4)

    await worker(queue, directory).drain_account(ACME.key)

    assert queue.failures == []
    assert NOW + timedelta(seconds=8) <= queue.retrying["p1@example.com"] <= NOW + timedelta(seconds=16)


async def test_an_invalid_user_is_given_up_and_reported() -> None:
    queue = FakeQueue([member(1), member(2)])
    directory = FakeDirectory(errors=[RequestRejected("PagerDuty 400: name too long")])

    await worker(queue, directory).drain_account(ACME.key)

    assert len(queue.failed) == 1
    assert len(queue.completed) == 1
    assert queue.failures[0][1:] == ("PagerDuty 400: name too long", False)


async def test_a_result_that_cannot_be_recorded_keeps_the_work() -> None:
    queue, directory = FakeQueue([member(1)], broken=True), FakeDirectory()

    await worker(queue, directory).drain_account(ACME.key)

    assert queue.completed == {}
    assert queue.published == []
    assert "p1@example.com" in queue.pending
    assert "p1@example.com" in queue.retrying


@pytest.mark.parametrize("has_access", [False])
async def test_work_of_an_account_nobody_syncs_into_is_forgotten(has_access: bool) -> None:
    queue, directory = FakeQueue([member(1)]), FakeDirectory()
    queue.has_access = has_access

    await worker(queue, directory).drain_account(ACME.key)

    assert queue.pending == {}
    assert directory.calls == 0


async def test_a_full_batch_prefetches_unless_the_account_proved_too_large() -> None:
    existing = {f"x{i}@example.com": f"X{i}" for i in range(31)}
    queue, directory = FakeQueue([member(i) for i in range(7)]), FakeDirectory(existing=existing)

    await worker(queue, directory).drain_account(ACME.key)

    assert directory.prefetches == [30]  # 31 users > 10 x 3: the next batches look up one by one
    assert len(queue.completed) == 7


class _SlowDirectory(FakeDirectory):
    """Creating a user takes until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def create(self, member: Member) -> PagerDutyUser:
        await self.release.wait()
        return await super().create(member)


async def test_the_claims_of_a_batch_are_renewed_while_it_runs() -> None:
    queue, directory = FakeQueue([member(1)]), _SlowDirectory()
    options = WorkerOptions(lease=timedelta(milliseconds=150), batch_size=3, concurrency=2)
    slow = ProvisioningWorker(queue, FakeDirectories(directory), options, clock=lambda: NOW)

    draining = asyncio.create_task(slow.drain_account(ACME.key))
    await eventually(
        lambda: _at_least(queue.renewals, 3), within=10, what="three renewals of the batch's claims"
    )
    assert queue.renewals[:3] == [["p1@example.com"]] * 3
    directory.release.set()
    await asyncio.wait_for(draining, timeout=10)
    renewed = len(queue.renewals)

    await asyncio.sleep(0.2)  # a renewal would be due by now: none may follow the batch
    assert len(queue.renewals) == renewed
    assert queue.completed == {"p1@example.com": "U0"}


async def _at_least(items: list[list[str]], count: int) -> bool:
    return len(items) >= count
