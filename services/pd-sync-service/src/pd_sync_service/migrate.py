"""Apply the Alembic migrations in services/pd-sync-service/migrations to a database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from oncall_platform import migrations

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


async def upgrade_database(database_url: str) -> None:
    """Upgrade to head (Alembic runs its own event loop, so it runs in a worker thread)."""
    await asyncio.to_thread(migrations.upgrade, MIGRATIONS, database_url)
