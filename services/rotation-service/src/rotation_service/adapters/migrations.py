"""The rotation service's Alembic folder (services/rotation-service/migrations)."""

from __future__ import annotations

from oncall_platform.migrations import Schema

SCHEMA = Schema.beside(__file__)
