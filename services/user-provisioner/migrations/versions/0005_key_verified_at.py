"""`rotation_accounts.key_verified_at`: when the provisioner checked the stored key against PagerDuty.

Rows stored before it are left unchecked (NULL): their keys may date from before keys were checked at
configuration, so each is checked before its first use.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    column = sa.Column("key_verified_at", sa.DateTime(timezone=True), nullable=True)
    op.add_column("rotation_accounts", column)


def downgrade() -> None:
    with op.batch_alter_table("rotation_accounts") as batch:
        batch.drop_column("key_verified_at")
