"""The SQL unit-of-work base on PostgreSQL: events reach the outbox only with a commit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from oncall_contracts import Envelope, MemberAdded, Topics
from oncall_platform import unit_of_work
from oncall_platform.database import make_async_engine
from oncall_platform.inbox import ProcessedEvent
from oncall_platform.outbox import OUTBOX, Outbox

pytestmark = pytest.mark.integration


class Unit(unit_of_work.SqlUnitOfWork):
    async def attach(self, session: AsyncSession) -> None:
        self.attached_to = session


def member_added() -> Envelope[Any]:
    payload = MemberAdded(rotation_id=str(uuid.uuid4()), email="ada@example.com", name="Ada", time_zone="UTC")
    return Envelope.new(payload, producer="unit-of-work-test")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(OUTBOX.create, checkfirst=True)
        await connection.run_sync(ProcessedEvent.__table__.create, checkfirst=True)  # type: ignore[attr-defined]
    yield engine
    await engine.dispose()


async def outbox_rows(engine: AsyncEngine, event_id: uuid.UUID) -> int:
    async with engine.connect() as connection:
        found = await connection.execute(
            select(func.count()).select_from(OUTBOX).where(OUTBOX.c.event_id == str(event_id))
        )
        return int(found.scalar_one())


async def test_a_commit_writes_the_events_and_wakes_the_relay(engine: AsyncEngine) -> None:
    woken: list[bool] = []
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    event = member_added()
    async with Unit(sessions, Outbox(Topics()), after_commit=lambda: woken.append(True)) as unit:
        assert unit.attached_to is unit.session
        unit.events.add_all([event])
        await unit.commit()
    assert await outbox_rows(engine, event.event_id) == 1
    assert woken == [True]


async def test_without_a_commit_neither_the_events_nor_the_inbox_are_kept(engine: AsyncEngine) -> None:
    woken: list[bool] = []
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    event, seen = member_added(), uuid.uuid4()
    async with Unit(sessions, Outbox(Topics()), after_commit=lambda: woken.append(True)) as unit:
        assert await unit.first_time("unit-test", seen) is True
        unit.events.add_all([event])
    async with Unit(sessions) as unit:
        assert await unit.first_time("unit-test", seen) is True
        await unit.commit()
    async with Unit(sessions) as unit:
        assert await unit.first_time("unit-test", seen) is False
    assert await outbox_rows(engine, event.event_id) == 0
    assert woken == []


async def test_a_commit_without_events_does_not_wake_the_relay(engine: AsyncEngine) -> None:
    woken: list[bool] = []
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with Unit(sessions, Outbox(Topics()), after_commit=lambda: woken.append(True)) as unit:
        await unit.commit()
    assert woken == []


async def test_events_in_a_unit_without_an_outbox_are_refused(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    event = member_added()
    async with Unit(sessions) as unit:
        unit.events.add_all([event])
        with pytest.raises(RuntimeError, match="no outbox"):
            await unit.commit()
    assert await outbox_rows(engine, event.event_id) == 0
