"""Runs the Alembic migrations in services/rotation-service/migrations (blocking; call before serving)."""

from __future__ import annotations

from pathlib import Path

from oncall_platform import migrations

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def upgrade(database_url: str, revision: str = "head") -> None:
    migrations.upgrade(MIGRATIONS, database_url, revision)
