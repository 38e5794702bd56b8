"""Text columns get the maximum lengths of `oncall_contracts.limits`.

A name is at most 100 characters (PagerDuty's user name limit; it was 200 here, so a longer name
passed the rotation service and then failed at PagerDuty), e-mails 254, account keys 66. The numbers
are written out so this revision keeps meaning what it meant. PostgreSQL only: SQLite does not enforce
lengths. The downgrade restores the old lengths (unbounded VARCHAR where the column was TEXT).

Revision ID: 0002
Revises: 0001
"""

from oncall_platform.migrations import set_text_lengths

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW: dict[str, dict[str, int | None]] = {
    "memberships": {"email": 254, "name": 100},
    "rotation_accounts": {
        "account_key": 66,
        "subdomain": 63,
        "region": 16,
        "credential_nonce": 16,
        "credential_ciphertext": 1088,
    },
    "pending_users": {"account_key": 66, "email": 254, "name": 100, "last_error": 1000},
    "provisioned_users": {"account_key": 66, "email": 254, "user_id": 64, "name": 100},
}
OLD: dict[str, dict[str, int | None]] = {
    "memberships": {"email": 320, "name": 200},
    "rotation_accounts": {
        "account_key": 128,
        "subdomain": 100,
        "region": 8,
        "credential_nonce": 64,
        "credential_ciphertext": None,
    },
    "pending_users": {"account_key": 128, "email": 320, "name": 200, "last_error": None},
    "provisioned_users": {"account_key": 128, "email": 320, "user_id": 32, "name": 200},
}


def upgrade() -> None:
    for table, lengths in NEW.items():
        set_text_lengths(table, lengths)


def downgrade() -> None:
    for table, lengths in OLD.items():
        set_text_lengths(table, lengths)
