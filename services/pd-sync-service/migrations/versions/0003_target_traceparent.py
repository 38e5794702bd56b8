"""The trace context of the event that last marked a target dirty, continued by its sync.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("targets", sa.Column("traceparent", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("targets", "traceparent")
