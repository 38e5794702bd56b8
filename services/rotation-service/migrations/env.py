"""Alembic environment of the rotation service (run through `rotation-service migrate`)."""

from __future__ import annotations

from alembic import context

from oncall_platform.migrations import run_migrations
from oncall_platform.tables import schema
from rotation_service.adapters.tables import Table

run_migrations(context, schema(Table.metadata))
