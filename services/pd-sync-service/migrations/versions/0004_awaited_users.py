"""E-mails a target schedule waits for: its sync is deferred until each has a PagerDuty user.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "awaited_users",
        sa.Column("account_key", sa.String(120), primary_key=True),
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("target_rotation_id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
    )
    op.create_index("ix_awaited_users_target", "awaited_users", ["target_rotation_id", "role"])


def downgrade() -> None:
    op.drop_index("ix_awaited_users_target", table_name="awaited_users")
    op.drop_table("awaited_users")
