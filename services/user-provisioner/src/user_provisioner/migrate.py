"""The user provisioner's Alembic folder (services/user-provisioner/migrations)."""

from __future__ import annotations

from oncall_platform.migrations import Schema

SCHEMA = Schema.beside(__file__)
