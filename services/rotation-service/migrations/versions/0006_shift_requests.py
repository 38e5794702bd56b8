"""Shift requests: hand-overs and swaps wait for the consent of the person asked.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shift_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("rotation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("shift_id", sa.String(length=64), nullable=False),
        sa.Column("other_shift_id", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("requested_of", sa.String(length=254), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["rotation_id"], ["rotations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shift_requests_rotation_id", "shift_requests", ["rotation_id"])
    op.create_index("ix_shift_requests_pending", "shift_requests", ["state", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_shift_requests_pending", table_name="shift_requests")
    op.drop_index("ix_shift_requests_rotation_id", table_name="shift_requests")
    op.drop_table("shift_requests")
