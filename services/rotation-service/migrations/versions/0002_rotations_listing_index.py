"""An index in listing order (creation time, then id), so each page of GET /v1/rotations is one range read.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_rotations_created_at_id", "rotations", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_rotations_created_at_id", table_name="rotations")
