"""Apply the Alembic migrations in services/pd-sync-service/migrations to a database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


async def upgrade_database(database_url: str) -> None:
    """Upgrade to head (alembic runs its own event loop, so it runs in a worker thread)."""
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "head")
