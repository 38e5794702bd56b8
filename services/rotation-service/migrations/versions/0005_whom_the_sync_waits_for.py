"""Whom the PagerDuty sync waits for: `sync_status.waiting_for` and the provisioner's latest word on
each e-mail (`user_provisioning`).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_status", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_for", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("waiting_reported_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "user_provisioning",
        sa.Column("account_key", sa.String(length=66), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("provisioned", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_key", "email"),
    )


def downgrade() -> None:
    op.drop_table("user_provisioning")
    with op.batch_alter_table("sync_status", schema=None) as batch_op:
        batch_op.drop_column("waiting_reported_at")
        batch_op.drop_column("waiting_for")
