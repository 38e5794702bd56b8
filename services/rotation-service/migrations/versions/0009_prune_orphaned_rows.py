"""Deletes the rows earlier versions left behind: sync statuses of rotations without an integration
(deleted rotations, removed integrations: a result still on its way re-created them) and, on SQLite
(which does not enforce ON DELETE CASCADE), shift requests of deleted rotations.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM sync_status WHERE rotation_id NOT IN (SELECT rotation_id FROM integrations)")
    op.execute("DELETE FROM shift_requests WHERE rotation_id NOT IN (SELECT id FROM rotations)")


def downgrade() -> None:
    pass  # the deleted rows were of nothing
