"""Alembic environment of the rotation service (run through `rotation-service migrate`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData

from oncall_platform.inbox import ProcessedEvent
from oncall_platform.migrations import run_migrations
from oncall_platform.outbox import OutboxMessage
from rotation_service.adapters.tables import metadata as service_metadata


def _target_metadata() -> MetaData:
    combined = MetaData()
    for table in service_metadata.tables.values():
        table.to_metadata(combined)
    ProcessedEvent.__table__.to_metadata(combined)  # type: ignore[attr-defined]
    OutboxMessage.__table__.to_metadata(combined)  # type: ignore[attr-defined]
    return combined


run_migrations(context, _target_metadata())
