"""An index on `shifts.end`: the shift retention deletes the shifts that ended longest ago through it.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_shifts_end", "shifts", ["end"])


def downgrade() -> None:
    op.drop_index("ix_shifts_end", table_name="shifts")
