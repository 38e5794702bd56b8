"""Drain the pending-work queue: one task per account, so a slow or refusing account blocks no other."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from oncall_platform import metrics
from oncall_platform.clock import system_clock
from user_provisioner.domain.model import (
    Account,
    AccountRejected,
    ClaimedUser,
    ProvisioningError,
    TemporaryFailure,
)
from user_provisioner.service_layer.ports import Access, Directories, UserDirectory, WorkQueue
from user_provisioner.service_layer.provisioning import ensure_user

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    """`lease`: how long a claim keeps other replicas off a user (renewed every third of it while the
    batch runs, so a slow batch is never taken over); `concurrency`: requests in flight per
    account; `poll_interval`: how often to look for due work without a wake-up; failed attempts wait
    `min(max_backoff, base_backoff * 2**attempts)` with jitter. Batches of at least `prefetch_threshold`
    users list the account's users in bulk first (one request per 100 users), unless the account holds
    more than ten times the batch: a user found there costs no request, where creating it would cost two
    (the refused POST and the lookup)."""

    lease: timedelta = timedelta(minutes=2)
    batch_size: int = 50
    concurrency: int = 4
    prefetch_threshold: int = 10
    poll_interval: float = 1.0
    base_backoff: float = 1.0
    max_backoff: float = 300.0


class ProvisioningWorker:
    """Provisions every due (account, e-mail): records each outcome with its announcement."""

    def __init__(
        self,
        queue: WorkQueue,
        directories: Directories,
        options: WorkerOptions | None = None,
        *,
        clock: Callable[[], datetime] = system_clock,
    ) -> None:
        self._queue = queue
        self._directories = directories
        self._options = options or WorkerOptions()
        self._clock = clock
        self._wake = asyncio.Event()
        self._draining: dict[str, asyncio.Task[None]] = {}
        self._large_accounts: set[str] = set()
        self._stopping = False

    def wake(self) -> None:
        """Look for due work now (called after the consumer queued some)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Poll for due accounts until `stop` is set, then let the PagerDuty writes in flight finish
        (users claimed but not started yet stay claimed until their lease ends). Cancelling cancels
        the writes too."""
        stop = stop or asyncio.Event()
        try:
            while not stop.is_set():
                await self.start_due_accounts()
                await self._nap(stop)
            self._stopping = True
            await asyncio.gather(*list(self._draining.values()), return_exceptions=True)
        finally:
            for task in self._draining.values():
                task.cancel()
            await asyncio.gather(*self._draining.values(), return_exceptions=True)

    async def _nap(self, stop: asyncio.Event) -> None:
        """Until woken, stopped, or the poll interval passed."""
        waits = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(
                waits, timeout=self._options.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for wait in waits:
                wait.cancel()
        self._wake.clear()

    async def start_due_accounts(self) -> None:
        """Start a drain task for every account with due work that has none running."""
        try:
            accounts = await self._queue.accounts_with_due_work(self._clock())
            metrics.PROVISIONING_BACKLOG.set(await self._queue.backlog())
        except Exception:
            logger.exception("cannot read the pending-work queue")
            return
        for account_key in accounts:
            if account_key not in self._draining:
                task = asyncio.create_task(self.drain_account(account_key), name=f"provision {account_key}")
                self._draining[account_key] = task
                task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        self._draining = {key: running for key, running in self._draining.items() if running is not task}
        if not task.cancelled() and task.exception() is not None:
            logger.error("draining an account failed", exc_info=task.exception())

    async def drain_account(self, account_key: str) -> None:
        """Provision the account's due users until none is left, each with the key of a rotation that
        has them as a member; a key the account refuses stops only the work of its own rotation."""
        options = self._options
        refused: dict[str, AccountRejected] = {}  # by the rotation whose key was refused
        while not self._stopping and (
            claimed := await self._queue.claim(account_key, self._clock(), options.lease, options.batch_size)
        ):
            async with self._leases_renewed(account_key, claimed):
                access = await self._queue.access_to(account_key, [item.member.email for item in claimed])
                unwanted = [item.member.email for item in claimed if item.member.email not in access]
                if unwanted:
                    await self._queue.forget_work(account_key, unwanted)
                for rotation_id, (granted, items) in _by_rotation(claimed, access).items():
                    refusal = refused.get(rotation_id)
                    if refusal is None:
                        refusal = await self._provision_with(granted, items)
                    else:
                        for item in items:
                            await self._fail(granted.account, item, refusal)
                    if refusal is not None:
                        refused[rotation_id] = refusal

    async def _provision_with(self, granted: Access, claimed: list[ClaimedUser]) -> AccountRejected | None:
        """Provision `claimed` with one rotation's key; the refusal of the account, if it refused."""
        account = granted.account
        try:
            if not granted.verified:
                await self._check_key(granted)
            directory = self._directories.directory_for(account, granted.credential)
        except AccountRejected as refusal:
            rejected: AccountRejected | None = refusal
        except TemporaryFailure as unchecked:
            for item in claimed:
                await self._fail(account, item, unchecked)
            return None
        else:
            rejected = await self._prefetch(account, directory, len(claimed))
        if rejected is not None:
            for item in claimed:
                await self._fail(account, item, rejected)
            return rejected
        return await self._provision_batch(account, directory, claimed)

    async def _check_key(self, granted: Access) -> None:
        """Only a key this service checked provisions anyone (so every mapping comes from a call made
        with a key that opens that account): a key not checked yet is checked first, once."""
        await self._directories.check_key(granted.account, granted.credential)
        await self._queue.mark_verified(granted, self._clock())

    @contextlib.asynccontextmanager
    async def _leases_renewed(self, account_key: str, claimed: list[ClaimedUser]) -> AsyncIterator[None]:
        """Renew the batch's claims every third of the lease until the block ends (users done by then
        hold no claim, so only the ones still in hand are renewed)."""
        emails = [item.member.email for item in claimed]
        lease = self._options.lease

        async def renew() -> None:
            while True:
                await asyncio.sleep(lease.total_seconds() / 3)
                try:
                    await self._queue.renew(account_key, emails, self._clock() + lease)
                except Exception:  # the database: try again at the next third
                    logger.exception("renewing the claims on %s failed", account_key)

        renewing = asyncio.create_task(renew(), name=f"renew claims {account_key}")
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _prefetch(
        self, account: Account, directory: UserDirectory, batch: int
    ) -> AccountRejected | None:
        if batch < self._options.prefetch_threshold or account.key in self._large_accounts:
            return None
        try:
            if not await directory.prefetch(max_users=batch * 10):
                self._large_accounts.add(account.key)
        except AccountRejected as refusal:
            return refusal
        except ProvisioningError as error:  # fine: each lookup then asks PagerDuty itself
            logger.info(
                "bulk lookup in %s failed (%s); looking users up one by one", account.key, error.reason
            )
        return None

    async def _provision_batch(
        self, account: Account, directory: UserDirectory, claimed: list[ClaimedUser]
    ) -> AccountRejected | None:
        limit = asyncio.Semaphore(self._options.concurrency)
        refusals: list[AccountRejected] = []  # once the account refuses, the rest are not sent

        async def one(item: ClaimedUser) -> AccountRejected | None:
            async with limit:
                if self._stopping:
                    return None  # not started: its claim lapses after the lease
                if refusals:
                    await self._fail(account, item, refusals[0])
                    return refusals[0]
                outcome = await self._provision(account, directory, item)
                if outcome is not None:
                    refusals.append(outcome)
                return outcome

        outcomes = await asyncio.gather(*(one(item) for item in claimed))
        return next((outcome for outcome in outcomes if outcome is not None), None)

    async def _provision(
        self, account: Account, directory: UserDirectory, item: ClaimedUser
    ) -> AccountRejected | None:
        try:
            user = await ensure_user(directory, item.member)
            await self._queue.complete(account, item.member, user, self._clock())
        except ProvisioningError as error:
            await self._fail(account, item, error)
            return error if isinstance(error, AccountRejected) else None
        except Exception as error:  # the database: keep the work, try again later
            logger.exception("provisioning %s in %s failed unexpectedly", item.member.email, account.key)
            await self._retry_later(account, item, f"{type(error).__name__}: {error}")
        return None

    async def _fail(self, account: Account, item: ClaimedUser, error: ProvisioningError) -> None:
        logger.warning("provisioning %s in %s failed: %s", item.member.email, account.key, error.reason)
        if isinstance(error, TemporaryFailure):
            # Reported once, then retried quietly with backoff.
            await self._retry_later(account, item, error.reason, announce=item.attempts == 0)
            return
        await self._queue.give_up(account, item.member.email, error.reason)

    async def _retry_later(
        self, account: Account, item: ClaimedUser, reason: str, *, announce: bool = False
    ) -> None:
        options = self._options
        ceiling = min(options.max_backoff, options.base_backoff * 2.0**item.attempts)
        delay = ceiling * (0.5 + random.random() / 2)
        at = self._clock() + timedelta(seconds=delay)
        await self._queue.retry_later(account, item.member.email, reason, at, announce=announce)


def _by_rotation(
    claimed: list[ClaimedUser], access: dict[str, Access]
) -> dict[str, tuple[Access, list[ClaimedUser]]]:
    """The claimed users grouped by the rotation whose key provisions them."""
    groups: dict[str, tuple[Access, list[ClaimedUser]]] = {}
    for item in claimed:
        granted = access.get(item.member.email)
        if granted is not None:
            groups.setdefault(granted.rotation_id, (granted, []))[1].append(item)
    return groups
