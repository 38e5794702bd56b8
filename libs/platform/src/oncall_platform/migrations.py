"""Alembic, the same way for every service: an upgrade call and the body of each `env.py`.

A service keeps its own `migrations/` folder (its schema is its own); this module only runs them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from sqlalchemy import Connection, MetaData
from sqlalchemy.pool import NullPool

from oncall_platform.database import make_async_engine

IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`. Blocking (Alembic runs its own event loop): from async code,
    call it through `asyncio.to_thread`."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


@dataclass(frozen=True)
class Schema:
    """A service's Alembic folder and how to upgrade a database to it."""

    folder: Path

    @classmethod
    def beside(cls, module_file: str) -> Schema:
        """The `migrations/` folder (with its `env.py`) of the nearest ancestor of `module_file`: a
        service's package passes its own `__file__`."""
        for parent in Path(module_file).resolve().parents:
            if (parent / "migrations" / "env.py").is_file():
                return cls(parent / "migrations")
        raise FileNotFoundError(f"no migrations/env.py in any folder above {module_file}")

    def upgrade(self, database_url: str, revision: str = "head") -> None:
        """Blocking (Alembic runs its own event loop); from async code, `upgrade_async`."""
        upgrade(self.folder, database_url, revision)

    async def upgrade_async(self, database_url: str, revision: str = "head") -> None:
        await asyncio.to_thread(upgrade, self.folder, database_url, revision)


def run_migrations(
    context: EnvironmentContext,
    target_metadata: MetaData,
    *,
    include_object: IncludeObject | None = None,
) -> None:
    """The whole of a service's `env.py`: online on an async engine, or offline as SQL."""
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "include_object": include_object,
        "render_as_batch": True,  # SQLite alters tables by copying them
    }
    url = context.config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        context.configure(url=url, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run_online() -> None:
        engine = make_async_engine(url, poolclass=NullPool)  # one connection, for this run only
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run_online())


def set_text_lengths(table: str, lengths: Mapping[str, int | None]) -> None:
    """In a migration: make each named column ``VARCHAR(length)`` (``None``: no maximum).

    Only on PostgreSQL, which enforces lengths; SQLite ignores them, so its tables are left as they are.
    A value already longer than its new maximum is cut to it (``left()``): the limits only ever narrow
    columns to what every producer already refused to exceed.
    """
    if op.get_context().dialect.name != "postgresql":
        return
    for column, length in lengths.items():
        using = f'"{column}"::varchar' if length is None else f'left("{column}", {length})'
        op.alter_column(table, column, type_=sa.String(length), postgresql_using=using)


def create_outbox_v1() -> None:
    """Create `outbox_messages` (oncall_platform.outbox.OutboxMessage) as of its first version; call it
    from a service's migration. A later change to the table adds a `v2` step rather than editing this."""
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("topic", sa.String(249), nullable=False),
        sa.Column("message_key", sa.LargeBinary(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("traceparent", sa.String(512), nullable=True),
        sa.Column("tracestate", sa.String(512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("park_reason", sa.String(1000), nullable=True),
    )
    pending = sa.text("published_at IS NULL AND parked_at IS NULL")
    published = sa.text("published_at IS NOT NULL")
    op.create_index(
        "ix_outbox_messages_pending",
        "outbox_messages",
        ["id"],
        postgresql_where=pending,
        sqlite_where=pending,
    )
    op.create_index(
        "ix_outbox_messages_published_at",
        "outbox_messages",
        ["published_at"],
        postgresql_where=published,
        sqlite_where=published,
    )


def drop_outbox_v1() -> None:
    op.drop_index("ix_outbox_messages_published_at", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_pending", table_name="outbox_messages")
    op.drop_table("outbox_messages")


def index_inbox_processed_at_v1() -> None:
    """Index `processed_events.processed_at`, which the inbox pruning deletes by; call it from a
    service's migration."""
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"])


def drop_inbox_processed_at_index_v1() -> None:
    op.drop_index("ix_processed_events_processed_at", table_name="processed_events")
