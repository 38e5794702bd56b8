"""`member_totals`: the on-call time of the shifts the shift retention pruned, per member and role.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_totals",
        sa.Column(
            "rotation_id", sa.String(36), sa.ForeignKey("rotations.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("email", sa.String(254), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("shifts", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("member_totals")
