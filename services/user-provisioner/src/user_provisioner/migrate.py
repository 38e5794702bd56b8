"""Run the Alembic migrations (services/user-provisioner/migrations) against a database URL."""

from __future__ import annotations

from pathlib import Path

from oncall_platform import migrations

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`. Blocking: from async code, call it in a thread."""
    migrations.upgrade(MIGRATIONS, database_url, revision)
