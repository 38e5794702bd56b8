"""The repositories the service layer depends on; the SQL adapters and in-memory fakes implement them.

Correctness between replicas rests on the SQL adapter (PostgreSQL locks); the methods say what they
guarantee, not how.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from pd_sync_service.domain.records import IntegrationRecord, RotationSettings, ShiftRecord, TargetSchedule

OnCall = tuple[datetime, datetime, str]  # (start, end, lower-case e-mail) of one shift of one role


class RotationRepository(Protocol):
    async def get(self, rotation_id: str) -> RotationSettings | None: ...

    async def put(self, rotation: RotationSettings) -> None: ...

    async def forget(self, rotation_id: str) -> None:
        """Drop a deleted rotation's settings."""
        ...


class ShiftRepository(Protocol):
    async def get(self, rotation_id: str, shift_id: str) -> ShiftRecord | None: ...

    async def put_newer(self, shifts: Iterable[ShiftRecord]) -> set[tuple[str, str]]:
        """Keep each shift unless one of a revision as high is kept already (at most one record per
        shift); returns the (rotation, shift) ids written."""
        ...

    async def forget(self, rotation_id: str) -> None:
        """Drop every shift of a deleted rotation."""
        ...

    async def on_call(self, rotation_id: str, role: str, ending_after: datetime) -> list[OnCall]:
        """The shifts for `role` ending after `ending_after`, without cancelled or empty ones."""
        ...


class IntegrationRepository(Protocol):
    async def get(self, rotation_id: str) -> IntegrationRecord | None: ...

    async def put(self, integration: IntegrationRecord) -> None: ...

    async def forget(self, rotation_id: str) -> None:
        """Drop a deleted rotation's integration."""
        ...

    async def owner_and_active_into(
        self, target_rotation_id: str
    ) -> tuple[IntegrationRecord | None, list[IntegrationRecord]]:
        """The target's own integration (as `get`) and the active integrations writing into the
        target's schedules (the target's own among them), read together."""
        ...

    async def targets_showing(self, account_key: str, email: str) -> set[str]:
        """The targets of the account's integrations whose rotations have a shift held by `email`
        (ignoring case)."""
        ...

    async def one_per_account(self) -> list[IntegrationRecord]:
        """For each account with an active own-schedule integration, the one configured last (whose key
        reads the account's users)."""
        ...

    async def owners_checked_longest_ago(self, limit: int | None) -> list[str]:
        """Up to `limit` (all when None) active own-schedule rotations, those whose schedules were
        compared with PagerDuty longest ago (or never) first."""
        ...


class UserRepository(Protocol):
    async def lock_emails(self, account_key: str, emails: Iterable[str]) -> None:
        """Until the unit of work ends, no other unit of work holds any of these e-mails' locks (taken
        in one order, so two holders of several never deadlock)."""
        ...

    async def user_id(self, account_key: str, email: str) -> str | None: ...

    async def put(self, account_key: str, email: str, user_id: str) -> None: ...

    async def user_ids(self, account_key: str, emails: set[str]) -> dict[str, str]:
        """The known users among `emails` (lower-case), by e-mail."""
        ...

    async def forget(self, account_key: str, user_id: str) -> list[str]:
        """Drop the mappings to a user PagerDuty no longer has; returns their e-mails (none when the
        mapping has moved on to another user meanwhile)."""
        ...

    async def in_use(self, account_key: str, ending_after: datetime) -> dict[str, str]:
        """The known users (by e-mail) of the people on shifts ending after `ending_after` of the
        account's active integrations."""
        ...


class AwaitedUserRepository(Protocol):
    """Which e-mails without a PagerDuty user each target's sync waits for."""

    async def forget(self, target_rotation_id: str, role: str) -> None:
        """The target no longer waits for anyone (its sync decides again). On SQLite this is the sync's
        first write: from here no other writer commits before its unit of work does."""
        ...

    async def add(
        self, account_key: str, target_rotation_id: str, role: str, emails: Iterable[str]
    ) -> None: ...

    async def stop_awaiting(self, account_key: str, email: str) -> set[str]:
        """Forget every wait for `email`; returns the targets that waited for it and now wait for no one."""
        ...


class TargetRepository(Protocol):
    async def mark_dirty(
        self,
        target_rotation_id: str,
        now: datetime,
        *,
        traceparent: str | None,
        drift: bool = False,
        unless_syncing: bool = False,
        changed_at: datetime | None = None,
    ) -> None:
        """Ask for a sync of both roles of the target's schedules (created on first use, only while the
        target's own integration is active: a deleted target gets no rows back), continuing the trace
        `traceparent` (None keeps the last); `drift`: compare with PagerDuty first. With
        `unless_syncing`, a role a sync holds right now is left alone (never waited for). `changed_at`:
        when the change was accepted (the earliest one not yet synced is kept). Marks may be kept until
        the unit of work commits (the SQL one writes them then, in target order)."""
        ...

    async def due(self, now: datetime, debounce: timedelta, max_wait: timedelta) -> list[tuple[str, str]]:
        """(target, role) of the dirty targets whose latest mark is a `debounce` old, or whose first
        unsynced mark is `max_wait` old, or marked by one unit of work only since they were last in
        step (nothing to coalesce with yet) and not postponed."""
        ...

    async def claim(self, target_rotation_id: str, role: str) -> TargetSchedule | None:
        """The target, held by this unit of work until it ends (other replicas' claims get None), or
        None when another holds it or it does not exist."""
        ...

    async def save(self, target: TargetSchedule) -> None:
        """Keep what the sync changed of the claimed target (marks made meanwhile are kept)."""
        ...

    async def check_drift_of_dirty(self) -> int:
        """Make every dirty target read PagerDuty before its next write; returns how many."""
        ...

    async def forget(self, target_rotation_id: str) -> None:
        """Drop both roles of a deleted rotation's schedules (a sync holding one finishes first)."""
        ...


class ResultOutbox(Protocol):
    """Sync results to publish once the unit of work commits (and only then)."""

    def add(self, payloads: Iterable[Any]) -> None: ...
