"""The provisioner's database: folded rotation state, the pending-work queue, and the user mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from oncall_contracts import SealedCredential, limits
from oncall_platform import unit_of_work
from oncall_platform.database import insert_ignore, upsert
from oncall_platform.outbox import Outbox
from user_provisioner.adapters import results
from user_provisioner.adapters.tables import Membership, PendingUser, ProvisionedUser, RotationAccount
from user_provisioner.domain.model import Account, ClaimedUser, Member, PagerDutyUser
from user_provisioner.service_layer.ports import Access
from user_provisioner.service_layer.unit_of_work import UnitOfWork


def _table(model: type[object]) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


MEMBERSHIPS = _table(Membership)
ACCOUNTS = _table(RotationAccount)
PENDING = _table(PendingUser)
PROVISIONED = _table(ProvisionedUser)


class FoldedState:
    """The folded rotation state, read and written in one unit of work's transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_member(self, rotation_id: str, member: Member) -> None:
        values = {"rotation_id": rotation_id, **_member_columns(member)}
        await upsert(self._conn, MEMBERSHIPS, values, ["rotation_id", "email"])

    async def remove_member(self, rotation_id: str, email: str) -> None:
        await self._conn.execute(
            delete(MEMBERSHIPS).where(MEMBERSHIPS.c.rotation_id == rotation_id, MEMBERSHIPS.c.email == email)
        )

    async def members(self, rotation_id: str) -> list[Member]:
        rows = await self._conn.execute(
            select(MEMBERSHIPS.c.email, MEMBERSHIPS.c.name, MEMBERSHIPS.c.time_zone).where(
                MEMBERSHIPS.c.rotation_id == rotation_id
            )
        )
        return [Member(email=row.email, name=row.name, time_zone=row.time_zone) for row in rows]

    async def account_of(self, rotation_id: str) -> tuple[Account, int] | None:
        """The rotation's account and the integration revision that set it, if it syncs."""
        row = (
            await self._conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.rotation_id == rotation_id))
        ).first()
        return None if row is None else (Account(row.subdomain, row.region), row.revision)

    async def set_account(
        self, rotation_id: str, account: Account, credential: SealedCredential, revision: int, now: datetime
    ) -> None:
        values = {
            "rotation_id": rotation_id,
            "account_key": account.key,
            "subdomain": account.subdomain,
            "region": account.region,
            "credential_key_id": credential.key_id,
            "credential_nonce": credential.nonce,
            "credential_ciphertext": credential.ciphertext,
            "revision": revision,
            "updated_at": now,
            "key_verified_at": None,  # checked again before its first use
        }
        await upsert(self._conn, ACCOUNTS, values, ["rotation_id"])

    async def remove_account(self, rotation_id: str) -> None:
        await self._conn.execute(delete(ACCOUNTS).where(ACCOUNTS.c.rotation_id == rotation_id))

    async def want_user(self, account_key: str, member: Member, now: datetime) -> None:
        """Queue (account, member) unless already provisioned; revive it if it had failed for good."""
        if await self._is_provisioned(account_key, member.email):
            return
        values = {"account_key": account_key, **_member_columns(member)}
        inserted = await insert_ignore(
            self._conn, PENDING, {**values, "state": "due", "attempts": 0, "next_attempt_at": now}
        )
        if not inserted:
            await self._conn.execute(
                update(PENDING)
                .where(_pending_key(account_key, member.email), PENDING.c.state == "failed")
                .values(state="due", attempts=0, next_attempt_at=now, last_error=None)
            )

    async def drop_unwanted(self, account_key: str, emails: list[str]) -> None:
        """Forget queued work for these e-mails unless another rotation on the account still has them."""
        if not emails:
            return
        still_wanted = exists().where(
            MEMBERSHIPS.c.email == PENDING.c.email,
            MEMBERSHIPS.c.rotation_id == ACCOUNTS.c.rotation_id,
            ACCOUNTS.c.account_key == PENDING.c.account_key,
        )
        await self._conn.execute(
            delete(PENDING).where(
                PENDING.c.account_key == account_key, PENDING.c.email.in_(emails), ~still_wanted
            )
        )

    async def forget_user(self, account_key: str, email: str, user_id: str) -> None:
        await self._conn.execute(
            delete(PROVISIONED).where(
                PROVISIONED.c.account_key == account_key,
                PROVISIONED.c.email == email,
                PROVISIONED.c.user_id == user_id,
            )
        )

    async def member_on_account(self, account_key: str, email: str) -> Member | None:
        row = (
            await self._conn.execute(
                select(MEMBERSHIPS.c.email, MEMBERSHIPS.c.name, MEMBERSHIPS.c.time_zone)
                .join(ACCOUNTS, ACCOUNTS.c.rotation_id == MEMBERSHIPS.c.rotation_id)
                .where(ACCOUNTS.c.account_key == account_key, MEMBERSHIPS.c.email == email)
                .order_by(MEMBERSHIPS.c.rotation_id)
                .limit(1)
            )
        ).first()
        return None if row is None else Member(email=row.email, name=row.name, time_zone=row.time_zone)

    async def _is_provisioned(self, account_key: str, email: str) -> bool:
        found = await self._conn.execute(
            select(PROVISIONED.c.user_id).where(
                PROVISIONED.c.account_key == account_key, PROVISIONED.c.email == email
            )
        )
        return found.first() is not None


class SqlUnitOfWork(unit_of_work.SqlUnitOfWork, UnitOfWork):
    """Folds one event; its outcomes are written by the store, so it adds no events of its own."""

    async def attach(self, session: AsyncSession) -> None:
        self.rotations = FoldedState(await session.connection())


class ProvisionerStore:
    """All SQL of the service: the pending-work queue (each method its own transaction) and the
    units of work that fold rotation events. Outcomes are announced through `outbox` in the
    transaction that records them; `wake_relay` runs after that commit."""

    def __init__(
        self, engine: AsyncEngine, outbox: Outbox, wake_relay: Callable[[], None] = lambda: None
    ) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine)
        self._outbox = outbox
        self._wake_relay = wake_relay

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)

    async def accounts_with_due_work(self, now: datetime) -> list[str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(PENDING.c.account_key).where(_claimable(now)).group_by(PENDING.c.account_key)
            )
            return [row.account_key for row in rows]

    async def backlog(self) -> int:
        async with self._engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(PENDING).where(PENDING.c.state == "due")
            )
            return int(count or 0)

    async def claim(self, account_key: str, now: datetime, lease: timedelta, limit: int) -> list[ClaimedUser]:
        """Claim up to `limit` due users of the account until `now + lease` (other replicas skip them)."""
        async with self._engine.begin() as conn:
            candidates = (
                await conn.execute(
                    select(PENDING)
                    .where(PENDING.c.account_key == account_key, _claimable(now))
                    .order_by(PENDING.c.next_attempt_at, PENDING.c.email)
                    .limit(limit)
                )
            ).all()
        claimed: list[ClaimedUser] = []
        for row in candidates:
            async with self._engine.begin() as conn:
                # The conditional update is the claim: of two replicas, exactly one sees rowcount 1.
                result = await conn.execute(
                    update(PENDING)
                    .where(_pending_key(account_key, row.email), _claimable(now))
                    .values(claimed_until=now + lease)
                )
            if result.rowcount:
                member = Member(email=row.email, name=row.name, time_zone=row.time_zone)
                claimed.append(ClaimedUser(account_key, member, row.attempts))
        return claimed

    async def renew(self, account_key: str, emails: list[str], until: datetime) -> None:
        """Extend the leases of the users still claimed (completed, retried or failed ones are not)."""
        if not emails:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                update(PENDING)
                .where(
                    PENDING.c.account_key == account_key,
                    PENDING.c.email.in_(sorted(emails)),
                    PENDING.c.claimed_until.is_not(None),
                )
                .values(claimed_until=until)
            )

    async def access_to(self, account_key: str, emails: list[str]) -> dict[str, Access]:
        """Each e-mail's credential: that of the rotation on the account that has the member, the most
        recently configured first (so one team's key never provisions another team's people)."""
        if not emails:
            return {}
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(MEMBERSHIPS.c.email, ACCOUNTS)
                    .join(ACCOUNTS, ACCOUNTS.c.rotation_id == MEMBERSHIPS.c.rotation_id)
                    .where(ACCOUNTS.c.account_key == account_key, MEMBERSHIPS.c.email.in_(emails))
                    .order_by(ACCOUNTS.c.updated_at.desc(), ACCOUNTS.c.rotation_id)
                )
            ).all()
        access: dict[str, Access] = {}
        for row in rows:
            credential = SealedCredential(
                key_id=row.credential_key_id, nonce=row.credential_nonce, ciphertext=row.credential_ciphertext
            )
            account = Account(row.subdomain, row.region)
            verified = row.key_verified_at is not None
            access.setdefault(row.email, Access(row.rotation_id, account, credential, verified))
        return access

    async def mark_verified(self, granted: Access, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(ACCOUNTS)
                .where(
                    ACCOUNTS.c.rotation_id == granted.rotation_id,
                    ACCOUNTS.c.account_key == granted.account.key,
                    ACCOUNTS.c.credential_ciphertext == granted.credential.ciphertext,
                )
                .values(key_verified_at=now)
            )

    async def complete(self, account: Account, member: Member, user: PagerDutyUser, now: datetime) -> None:
        """Record the mapping (unique per account and e-mail; a second writer is ignored), drop the work
        and announce the user, in one transaction."""
        async with self._engine.begin() as conn:
            await insert_ignore(
                conn,
                PROVISIONED,
                {
                    "account_key": account.key,
                    "email": member.email,
                    "user_id": user.id,
                    "name": user.name,
                    "provisioned_at": now,
                },
            )
            await conn.execute(delete(PENDING).where(_pending_key(account.key, member.email)))
            await self._outbox.add(conn, [results.provisioned(account, user, member)])
        self._wake_relay()

    async def retry_later(
        self, account: Account, email: str, reason: str, at: datetime, *, announce: bool = False
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(PENDING)
                .where(_pending_key(account.key, email))
                .values(
                    attempts=PENDING.c.attempts + 1,
                    next_attempt_at=at,
                    claimed_until=None,
                    last_error=limits.truncate(reason),
                )
            )
            if announce:
                await self._outbox.add(conn, [results.failed(account, email, reason, retryable=True)])
        if announce:
            self._wake_relay()

    async def give_up(self, account: Account, email: str, reason: str) -> None:
        """Mark the work failed for good (until the integration is configured again) and announce it."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(PENDING)
                .where(_pending_key(account.key, email))
                .values(state="failed", claimed_until=None, last_error=limits.truncate(reason))
            )
            await self._outbox.add(conn, [results.failed(account, email, reason, retryable=False)])
        self._wake_relay()

    async def forget_work(self, account_key: str, emails: list[str]) -> None:
        """Drop the queued work of these e-mails (no rotation on the account has them any more)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(PENDING).where(PENDING.c.account_key == account_key, PENDING.c.email.in_(emails))
            )

    async def provisioned_user_id(self, account_key: str, email: str) -> str | None:
        async with self._engine.connect() as conn:
            return (
                await conn.execute(
                    select(PROVISIONED.c.user_id).where(
                        PROVISIONED.c.account_key == account_key, PROVISIONED.c.email == email
                    )
                )
            ).scalar()


def _member_columns(member: Member) -> dict[str, str]:
    return {"email": member.email, "name": member.name, "time_zone": member.time_zone}


def _pending_key(account_key: str, email: str) -> ColumnElement[bool]:
    return and_(PENDING.c.account_key == account_key, PENDING.c.email == email)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        PENDING.c.state == "due",
        PENDING.c.next_attempt_at <= now,
        or_(PENDING.c.claimed_until.is_(None), PENDING.c.claimed_until < now),
    )
