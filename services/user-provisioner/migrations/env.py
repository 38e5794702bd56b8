"""Alembic environment of the user provisioner (run through `user-provisioner migrate`)."""

from __future__ import annotations

from alembic import context

from oncall_platform.migrations import run_migrations
from oncall_platform.tables import schema
from user_provisioner.adapters.tables import Table

run_migrations(context, schema(Table.metadata))
