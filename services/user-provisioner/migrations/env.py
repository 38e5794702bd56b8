"""Alembic environment of the user provisioner (run through `user-provisioner migrate`)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from oncall_platform.migrations import run_migrations
from user_provisioner.adapters import tables  # noqa: F401  (registers the tables)

TABLES = {
    "memberships",
    "rotation_accounts",
    "pending_users",
    "provisioned_users",
    "processed_events",
    "outbox_messages",
}


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return type_ != "table" or name in TABLES


run_migrations(context, SQLModel.metadata, include_object=_include)
