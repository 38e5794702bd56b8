"""One way for a service to declare its tables: a registry (and `MetaData`) of its own.

    class Table(SQLModel, registry=service_registry()):
        '''The base of this service's tables.'''

    class RotationRow(Table, table=True): ...

Two services' tables of the same name (both have `rotations`) can then be imported into one process
(a test run, a tool) without colliding, as SQLModel's shared `SQLModel.metadata` would make them.
`schema(Table.metadata)` is the service's whole schema, its tables and the platform's (the inbox and
the outbox): the `target_metadata` of its Alembic `env.py`, and what tests create without Alembic.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table
from sqlalchemy.orm import registry

from oncall_platform.inbox import ProcessedEvent
from oncall_platform.outbox import OUTBOX

PLATFORM_TABLES: tuple[Table, ...] = (ProcessedEvent.__table__, OUTBOX)  # type: ignore[attr-defined]


def service_registry() -> registry:
    """A new registry with a `MetaData` of its own, for one service's table base class."""
    return registry(metadata=MetaData())


def schema(service_tables: MetaData) -> MetaData:
    """The service's tables and the platform's, in one new `MetaData`."""
    combined = MetaData()
    for table in (*service_tables.tables.values(), *PLATFORM_TABLES):
        table.to_metadata(combined)
    return combined
