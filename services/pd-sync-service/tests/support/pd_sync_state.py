"""The service's state on a real database (SQLite, or PostgreSQL where locking matters) or in memory,
and contract events to fold into it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pd_sync_fakes import FakeDatabase
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from oncall_contracts import (
    CredentialSealer,
    IntegrationConfigured,
    PagerDutyAccount,
    PagerDutyUserProvisioned,
    ShiftChanged,
    Topics,
    registry,
)
from oncall_platform.database import make_async_engine
from oncall_platform.outbox import Outbox, OutboxMessage
from oncall_platform.tables import schema
from oncall_testing.databases import create_database, drop_database
from pd_sync_service.adapters import orm, repositories
from pd_sync_service.adapters.unit_of_work import SqlUnitOfWork
from pd_sync_service.domain.records import TargetSchedule
from pd_sync_service.service_layer.folding import fold
from pd_sync_service.service_layer.unit_of_work import UnitOfWork

ACCOUNT = PagerDutyAccount(subdomain="acme", region="us")
SEALER = CredentialSealer({"k1": bytes(range(32))}, "k1")
NOW = datetime(2026, 3, 20, 10, tzinfo=UTC)
MONDAY = datetime(2026, 3, 23, 9, tzinfo=UTC)


@contextlib.asynccontextmanager
async def sqlite_sessions(directory: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with _sessions(f"sqlite+aiosqlite:///{directory / 'pd-sync.db'}") as sessions:
        yield sessions


@contextlib.asynccontextmanager
async def postgres_sessions(server_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh database of the shared PostgreSQL server, dropped afterwards."""
    database_url = await create_database(server_url)
    try:
        async with _sessions(database_url) as sessions:
            yield sessions
    finally:
        await drop_database(database_url)


@contextlib.asynccontextmanager
async def _sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(schema(orm.Table.metadata).create_all)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> SqlUnitOfWork:
    return SqlUnitOfWork(sessions, Outbox(Topics()))


class SqlState:
    """The state in a database, read back as the service layer sees it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def unit_of_work(self) -> SqlUnitOfWork:
        return unit_of_work(self.sessions)

    async def target(self, rotation: str, role: str = "primary") -> TargetSchedule | None:
        async with self.sessions() as session:
            row = await session.get(orm.TargetRow, (rotation, role))
            return None if row is None else repositories.target_schedule(row)

    async def put_target(self, target: TargetSchedule) -> None:
        """Overwrite the target's row, as if the process died before it committed a change."""
        async with self.sessions() as session, session.begin():
            row = await session.get(orm.TargetRow, (target.target_rotation_id, target.role))
            assert row is not None
            for name, value in repositories.target_columns(target).items():
                setattr(row, name, value)

    async def published(self) -> list[Any]:
        async with self.sessions() as session:
            rows = await session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id)))
            return [registry.decode(row.value, row.headers).payload for row in rows]


class InMemoryState:
    """The state in the in-memory fakes."""

    def __init__(self) -> None:
        self.database = FakeDatabase()

    def unit_of_work(self) -> UnitOfWork:
        return self.database.unit_of_work()

    async def target(self, rotation: str, role: str = "primary") -> TargetSchedule | None:
        return self.database.target(rotation, role)

    async def put_target(self, target: TargetSchedule) -> None:
        self.database.committed.targets[target.target_rotation_id, target.role] = target

    async def published(self) -> list[Any]:
        return self.database.published()


State = SqlState | InMemoryState


async def apply(state: State, *payloads: Any) -> None:
    for payload in payloads:
        async with state.unit_of_work() as uow:
            await fold(uow, payload, NOW)
            await uow.commit()


def integration(rotation: str, target: str | None = None, revision: int = 1, **extra: Any) -> Any:
    target = target or rotation
    return IntegrationConfigured(
        rotation_id=rotation,
        rotation_name=f"Rotation {rotation[:4]}",
        mode="own" if target == rotation else "merge",
        target_rotation_id=target,
        schedule_name=f"Schedule {rotation[:4]}",
        account=ACCOUNT,
        credential=SEALER.seal(extra.pop("api_key", "key"), ACCOUNT.key),
        time_zone="Europe/London",
        schedule_time_zone="Europe/London",
        revision=revision,
        **extra,
    )


def shift(rotation: str, week: int, email: str | None, revision: int) -> ShiftChanged:
    start = MONDAY + timedelta(days=7 * week)
    return ShiftChanged(
        rotation_id=rotation,
        shift_id=f"w{week}",
        revision=revision,
        start=start,
        end=start + timedelta(days=7),
        primary=email,
        backup=None,
    )


def provisioned(email: str, user_id: str) -> PagerDutyUserProvisioned:
    return PagerDutyUserProvisioned(account=ACCOUNT, email=email, user_id=user_id, name=email[:3])


async def target(state: State, rotation: str, role: str = "primary") -> Any:
    return await state.target(rotation, role)
