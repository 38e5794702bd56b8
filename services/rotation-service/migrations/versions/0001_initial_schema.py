"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 17:16:39.867790
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("traceparent", sa.String(), nullable=True),
        sa.Column("tracestate", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_unpublished",
            ["id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "rotations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("time_zone", sa.String(), nullable=False),
        sa.Column("period_seconds", sa.Integer(), nullable=False),
        sa.Column("first_shift_start", sa.DateTime(), nullable=False),
        sa.Column("handoff_seconds", sa.JSON(), nullable=False),
        sa.Column("coverage_start", sa.String(), nullable=True),
        sa.Column("coverage_end", sa.String(), nullable=True),
        sa.Column("backup", sa.Boolean(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("shift_revision", sa.Integer(), nullable=False),
        sa.Column("integration_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sync_status",
        sa.Column("rotation_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("schedule_id", sa.String(), nullable=True),
        sa.Column("schedule_url", sa.String(), nullable=True),
        sa.Column("layer_ids", sa.JSON(), nullable=False),
        sa.Column("synced_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_error_retryable", sa.Boolean(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("rotation_id", "role"),
    )
    op.create_table(
        "admins",
        sa.Column("rotation_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["rotation_id"], ["rotations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rotation_id", "email"),
    )
    op.create_table(
        "integrations",
        sa.Column("rotation_id", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("target_rotation_id", sa.String(), nullable=False),
        sa.Column("schedule_name", sa.String(), nullable=False),
        sa.Column("subdomain", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("credential_key_id", sa.String(), nullable=False),
        sa.Column("credential_nonce", sa.String(), nullable=False),
        sa.Column("credential_ciphertext", sa.String(), nullable=False),
        sa.Column("configured_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rotation_id"], ["rotations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rotation_id"),
    )
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integrations_target_rotation_id"), ["target_rotation_id"], unique=False
        )

    op.create_table(
        "members",
        sa.Column("rotation_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("time_zone", sa.String(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["rotation_id"], ["rotations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rotation_id", "email"),
    )
    op.create_table(
        "shifts",
        sa.Column("rotation_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("primary", sa.String(), nullable=True),
        sa.Column("backup", sa.String(), nullable=True),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["rotation_id"], ["rotations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rotation_id", "id"),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shifts_start"), ["start"], unique=False)

    op.create_table(
        "unavailability",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rotation_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rotation_id"], ["rotations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unavailability", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unavailability_rotation_id"), ["rotation_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("unavailability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unavailability_rotation_id"))

    op.drop_table("unavailability")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shifts_start"))

    op.drop_table("shifts")
    op.drop_table("members")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integrations_target_rotation_id"))

    op.drop_table("integrations")
    op.drop_table("admins")
    op.drop_table("sync_status")
    op.drop_table("rotations")
    op.drop_table("processed_events")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_unpublished",
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )

    op.drop_table("outbox")
