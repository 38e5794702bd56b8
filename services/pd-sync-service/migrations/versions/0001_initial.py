"""Initial tables: folded rotation state, PagerDuty users, targets, processed events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rotations",
        sa.Column("rotation_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("time_zone", sa.String(), nullable=False),
        sa.Column("coverage_start", sa.String(), nullable=True),
        sa.Column("coverage_end", sa.String(), nullable=True),
        sa.Column("backup", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "shifts",
        sa.Column("rotation_id", sa.String(64), primary_key=True),
        sa.Column("shift_id", sa.String(200), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("start", TZ, nullable=False),
        sa.Column("end", TZ, nullable=False),
        sa.Column("primary_email", sa.String(), nullable=True),
        sa.Column("backup_email", sa.String(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "integrations",
        sa.Column("rotation_id", sa.String(64), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("target_rotation_id", sa.String(64), nullable=False, index=True),
        sa.Column("schedule_name", sa.String(), nullable=False),
        sa.Column("account_key", sa.String(), nullable=False, index=True),
        sa.Column("subdomain", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("credential", sa.JSON(), nullable=False),
        sa.Column("schedule_time_zone", sa.String(), nullable=False),
        sa.Column("configured_at", TZ, nullable=False),
    )
    op.create_table(
        "pagerduty_users",
        sa.Column("account_key", sa.String(120), primary_key=True),
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("user_id", sa.String(), nullable=False),
    )
    op.create_table(
        "targets",
        sa.Column("target_rotation_id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), primary_key=True),
        sa.Column("schedule_id", sa.String(), nullable=True),
        sa.Column("schedule_url", sa.String(), nullable=True),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("dirty_seq", sa.Integer(), nullable=False),
        sa.Column("synced_seq", sa.Integer(), nullable=False),
        sa.Column("dirty_at", TZ, nullable=True),
        sa.Column("last_dirty_at", TZ, nullable=True),
        sa.Column("check_drift", sa.Boolean(), nullable=False),
        sa.Column("synced_until", TZ, nullable=True),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("processed_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("processed_events", "targets", "pagerduty_users", "integrations", "shifts", "rotations"):
        op.drop_table(table)
