"""After the migrations, every text column on PostgreSQL has the length the tables declare."""

from __future__ import annotations

import pytest

from oncall_platform.tables import schema
from oncall_testing.databases import declared_text_lengths, text_column_lengths
from rotation_service.adapters.migrations import SCHEMA
from rotation_service.adapters.tables import Table

pytestmark = pytest.mark.integration


async def test_every_text_column_has_the_declared_maximum_length(database_url: str) -> None:
    await SCHEMA.upgrade_async(database_url)

    migrated = await text_column_lengths(database_url)
    declared = declared_text_lengths(schema(Table.metadata))

    assert migrated.pop("alembic_version.version_num") == 32
    assert {column: declared.get(column) for column in migrated} == migrated
    assert [column for column, length in migrated.items() if length is None] == []
    assert set(declared) <= set(migrated)
