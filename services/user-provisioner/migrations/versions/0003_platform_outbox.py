"""The platform outbox (`outbox_messages`): provisioning outcomes are announced in the transaction that
records them (they were published straight to Kafka, so a crash in between could lose one).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from oncall_platform.migrations import create_outbox_v1, drop_outbox_v1

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_v1()


def downgrade() -> None:
    drop_outbox_v1()
