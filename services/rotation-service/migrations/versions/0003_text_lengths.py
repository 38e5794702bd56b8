"""Every text column gets a maximum length, the one `oncall_contracts.limits` gives its value.

The numbers are written out (not imported) so this revision keeps meaning what it meant when later
limits change. PostgreSQL only: SQLite does not enforce lengths.

Revision ID: 0003
Revises: 0002
"""

from oncall_platform.migrations import set_text_lengths

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LENGTHS: dict[str, dict[str, int]] = {
    "rotations": {"name": 200, "time_zone": 64, "coverage_start": 8, "coverage_end": 8},
    "members": {"rotation_id": 36, "email": 254, "name": 100, "time_zone": 64},
    "unavailability": {"rotation_id": 36, "email": 254},
    "admins": {"rotation_id": 36, "email": 254},
    "shifts": {"rotation_id": 36, "id": 64, "primary": 254, "backup": 254},
    "integrations": {
        "rotation_id": 36,
        "mode": 16,
        "target_rotation_id": 36,
        "schedule_name": 200,
        "subdomain": 63,
        "region": 16,
        "credential_key_id": 64,
        "credential_nonce": 16,
        "credential_ciphertext": 1088,
    },
    "sync_status": {
        "rotation_id": 36,
        "role": 16,
        "schedule_id": 64,
        "schedule_url": 2048,
        "last_error": 1000,
    },
    "outbox": {"topic": 249, "traceparent": 512, "tracestate": 512},
}


def upgrade() -> None:
    for table, lengths in LENGTHS.items():
        set_text_lengths(table, lengths)


def downgrade() -> None:
    for table, lengths in LENGTHS.items():
        set_text_lengths(table, dict.fromkeys(lengths))
