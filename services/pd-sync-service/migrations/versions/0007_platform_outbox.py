"""The platform outbox (`outbox_messages`) replaces the service's own `outbox`; pending rows move over.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from oncall_platform.migrations import create_outbox_v1, drop_outbox_v1

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = "event_id, topic, value, headers, traceparent, created_at"


def upgrade() -> None:
    create_outbox_v1()
    # The old relay deleted what it published: every row left is still to be sent.
    op.execute(
        f"INSERT INTO outbox_messages (message_key, {_COLUMNS}) "
        f"SELECT key, {_COLUMNS} FROM outbox ORDER BY id"
    )
    op.drop_table("outbox")


def downgrade() -> None:
    """Back to the service's own outbox, empty: publish what is pending before downgrading."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("traceparent", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    drop_outbox_v1()
