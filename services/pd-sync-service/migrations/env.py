"""Alembic environment of pd-sync-service (run through `pd-sync-service migrate`)."""

from alembic import context

from oncall_platform.migrations import run_migrations
from pd_sync_service.adapters.orm import SQLModel

run_migrations(context, SQLModel.metadata)
