import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from oncall_platform.database import make_async_engine
from oncall_platform.inbox import ProcessedEvent, record_new, record_once

pytestmark = pytest.mark.integration


async def test_an_event_is_recorded_once_per_consumer(database_url: str) -> None:
    engine = make_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(ProcessedEvent.__table__.create)  # type: ignore[attr-defined]
    event_id = uuid.uuid4()
    async with AsyncSession(engine) as session, session.begin():
        assert await record_once(session, "sync", event_id) is True
        assert await record_once(session, "sync", event_id) is False
        assert await record_once(session, "provisioner", event_id) is True
    async with engine.connect() as connection:
        assert await record_once(connection, "sync", event_id) is False
    await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_a_batch_of_ids_is_recorded_in_one_call_returning_the_new_ones(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    url = database_url if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}"
    engine = make_async_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(ProcessedEvent.__table__.create)  # type: ignore[attr-defined]
    seen, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with AsyncSession(engine) as session, session.begin():
        assert await record_once(session, "sync", seen) is True
    async with AsyncSession(engine) as session, session.begin():
        assert await record_new(session, "sync", [first, seen, first, second]) == {first, second}
        assert await record_new(session, "sync", [first, second]) == set()
        assert await record_new(session, "provisioner", [seen]) == {seen}
        assert await record_new(session, "sync", []) == set()
    async with engine.connect() as connection:
        assert await record_once(connection, "sync", second) is False
    await engine.dispose()
