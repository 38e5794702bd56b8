"""Alembic environment of pd-sync-service (run through `pd-sync-service migrate`)."""

from __future__ import annotations

from alembic import context

from oncall_platform.migrations import run_migrations
from oncall_platform.tables import schema
from pd_sync_service.adapters.orm import Table

run_migrations(context, schema(Table.metadata))
