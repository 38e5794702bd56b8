"""After the migrations, every text column on PostgreSQL has the length the tables declare."""

from __future__ import annotations

import asyncio

import pytest

from oncall_platform.inbox import ProcessedEvent
from oncall_testing.databases import declared_text_lengths, text_column_lengths
from rotation_service.adapters.migrations import upgrade
from rotation_service.adapters.tables import metadata

pytestmark = pytest.mark.integration


async def test_every_text_column_has_the_declared_maximum_length(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)

    migrated = await text_column_lengths(database_url)
    # SQLModel's shared metadata may hold other services' tables of the same names: take only the
    # platform's (the inbox and the outbox).
    platform = (ProcessedEvent.__tablename__, "outbox_messages")  # type: ignore[attr-defined]
    shared = declared_text_lengths(ProcessedEvent.metadata)
    declared = declared_text_lengths(metadata) | {
        k: v for k, v in shared.items() if k.split(".")[0] in platform
    }

    assert migrated.pop("alembic_version.version_num") == 32
    assert {column: declared.get(column) for column in migrated} == migrated
    assert [column for column, length in migrated.items() if length is None] == []
    assert set(declared_text_lengths(metadata)) <= set(migrated)
