"""An index on `processed_events.processed_at`: the inbox pruning deletes the oldest entries through it.

Revision ID: 0007
Revises: 0006
"""

from oncall_platform.migrations import drop_inbox_processed_at_index_v1, index_inbox_processed_at_v1

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    index_inbox_processed_at_v1()


def downgrade() -> None:
    drop_inbox_processed_at_index_v1()
