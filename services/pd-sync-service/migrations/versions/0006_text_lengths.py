"""Text columns get the maximum lengths of `oncall_contracts.limits`.

The numbers are written out so this revision keeps meaning what it meant. PostgreSQL only: SQLite
does not enforce lengths. The downgrade restores the old lengths.

Revision ID: 0006
Revises: 0005
"""

from oncall_platform.migrations import set_text_lengths

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NEW: dict[str, dict[str, int | None]] = {
    "rotations": {"name": 200, "time_zone": 64, "coverage_start": 8, "coverage_end": 8},
    "shifts": {"shift_id": 64, "primary_email": 254, "backup_email": 254},
    "integrations": {
        "mode": 16,
        "schedule_name": 200,
        "account_key": 66,
        "subdomain": 63,
        "region": 16,
        "schedule_time_zone": 64,
    },
    "pagerduty_users": {"account_key": 66, "email": 254, "user_id": 64},
    "awaited_users": {"account_key": 66, "email": 254},
    "targets": {"schedule_id": 64, "schedule_url": 2048, "traceparent": 512},
    "outbox": {"topic": 249, "traceparent": 512},
}
_OLD_LENGTHS = {
    ("shifts", "shift_id"): 200,
    ("pagerduty_users", "account_key"): 120,
    ("pagerduty_users", "email"): 320,
    ("awaited_users", "account_key"): 120,
    ("awaited_users", "email"): 320,
}


def upgrade() -> None:
    for table, lengths in NEW.items():
        set_text_lengths(table, lengths)


def downgrade() -> None:
    for table, lengths in NEW.items():
        set_text_lengths(table, {column: _OLD_LENGTHS.get((table, column)) for column in lengths})
