"""Migration 0009 deletes the sync statuses earlier versions left of deleted rotations and of removed
integrations, and keeps those of configured integrations."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from oncall_platform.database import make_async_engine
from rotation_service.adapters.migrations import SCHEMA

pytestmark = pytest.mark.integration


async def test_the_statuses_of_no_integration_are_deleted(database_url: str) -> None:
    await SCHEMA.upgrade_async(database_url, "0008")
    engine = make_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for rotation_id in ("synced", "unsynced"):
                await connection.execute(
                    text(
                        "INSERT INTO rotations (id, name, time_zone, period_seconds, first_shift_start,"
                        " handoff_seconds, backup, horizon_days, shift_revision, integration_revision,"
                        " created_at) VALUES (:id, :id, 'UTC', 86400, '2026-12-01 09:00', '[]', false,"
                        " 28, 0, 0, '2026-12-01 09:00+00')"
                    ),
                    {"id": rotation_id},
                )
            await connection.execute(
                text(
                    "INSERT INTO integrations (rotation_id, mode, target_rotation_id, schedule_name,"
                    " subdomain, region, credential_key_id, credential_nonce, credential_ciphertext,"
                    " configured_at) VALUES ('synced', 'own', 'synced', 'On call', 'acme', 'us', 'k',"
                    " 'n', 'c', '2026-12-01 09:00+00')"
                )
            )
            for rotation_id in ("synced", "unsynced", "deleted"):
                await connection.execute(
                    text(
                        "INSERT INTO sync_status (rotation_id, role, layer_ids, waiting_for)"
                        " VALUES (:id, 'primary', '[]', '[]')"
                    ),
                    {"id": rotation_id},
                )
        await SCHEMA.upgrade_async(database_url)
        async with engine.connect() as connection:
            left = (await connection.execute(text("SELECT rotation_id FROM sync_status"))).scalars().all()
        assert left == ["synced"]
    finally:
        await engine.dispose()
