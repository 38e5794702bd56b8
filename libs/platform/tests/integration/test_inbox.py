import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from oncall_platform.database import make_async_engine
from oncall_platform.inbox import ProcessedEvent, record_once

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
