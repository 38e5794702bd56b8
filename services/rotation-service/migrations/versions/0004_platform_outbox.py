"""The platform outbox (`outbox_messages`) replaces the service's own `outbox`; unpublished rows move over.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from oncall_platform.migrations import create_outbox_v1, drop_outbox_v1

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "event_id, topic, value, headers, traceparent, tracestate, created_at"


def upgrade() -> None:
    create_outbox_v1()
    op.execute(
        f"INSERT INTO outbox_messages (message_key, {_COLUMNS}) "
        f"SELECT key, {_COLUMNS} FROM outbox WHERE published_at IS NULL ORDER BY id"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")
    op.drop_table("outbox")


def downgrade() -> None:
    """Back to the service's own outbox, empty: publish what is pending before downgrading."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("traceparent", sa.String(), nullable=True),
        sa.Column("tracestate", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    drop_outbox_v1()
