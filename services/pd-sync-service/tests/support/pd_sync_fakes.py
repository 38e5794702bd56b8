"""The pd-sync state in memory, behind the service layer's ports, for unit tests of the service layer.

A unit of work works on a copy of the committed state and replaces it on commit. A target a unit of
work claimed stays held until it ends: other claims get None and marks `unless_syncing` skip it, as
with the SQL adapter's row locks (which the integration tests exercise on PostgreSQL).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from oncall_testing.unit_of_work import InMemoryDatabase, InMemoryUnitOfWork
from pd_sync_service.domain.records import IntegrationRecord, RotationSettings, ShiftRecord, TargetSchedule
from pd_sync_service.service_layer.ports import OnCall
from pd_sync_service.service_layer.unit_of_work import UnitOfWork

ROLES = ("primary", "backup")
TargetKey = tuple[str, str]


@dataclass
class State:
    rotations: dict[str, RotationSettings] = field(default_factory=dict)
    shifts: dict[tuple[str, str], ShiftRecord] = field(default_factory=dict)
    integrations: dict[str, IntegrationRecord] = field(default_factory=dict)
    users: dict[tuple[str, str], str] = field(default_factory=dict)
    awaited: set[tuple[str, str, str, str]] = field(default_factory=set)  # account, e-mail, target, role
    targets: dict[TargetKey, TargetSchedule] = field(default_factory=dict)
    outbox: list[Any] = field(default_factory=list)
    processed: set[tuple[str, uuid.UUID]] = field(default_factory=set)


class FakeRotations:
    def __init__(self, state: State) -> None:
        self._state = state

    async def get(self, rotation_id: str) -> RotationSettings | None:
        return self._state.rotations.get(rotation_id)

    async def put(self, rotation: RotationSettings) -> None:
        self._state.rotations[rotation.rotation_id] = rotation

    async def forget(self, rotation_id: str) -> None:
        self._state.rotations.pop(rotation_id, None)


class FakeShifts:
    def __init__(self, state: State) -> None:
        self._state = state

    async def get(self, rotation_id: str, shift_id: str) -> ShiftRecord | None:
        return self._state.shifts.get((rotation_id, shift_id))

    async def put_newer(self, shifts: Iterable[ShiftRecord]) -> set[tuple[str, str]]:
        written = set()
        for shift in shifts:
            key = shift.rotation_id, shift.shift_id
            known = self._state.shifts.get(key)
            if known is None or known.revision < shift.revision:
                self._state.shifts[key] = shift
                written.add(key)
        return written

    async def forget(self, rotation_id: str) -> None:
        self._state.shifts = {k: s for k, s in self._state.shifts.items() if s.rotation_id != rotation_id}

    async def on_call(self, rotation_id: str, role: str, ending_after: datetime) -> list[OnCall]:
        held = []
        for shift in self._state.shifts.values():
            email = shift.primary_email if role == "primary" else shift.backup_email
            if (
                shift.rotation_id == rotation_id
                and shift.end > ending_after
                and not shift.cancelled
                and email
            ):
                held.append((shift.start, shift.end, email))
        return held


class FakeIntegrations:
    def __init__(self, state: State) -> None:
        self._state = state

    async def get(self, rotation_id: str) -> IntegrationRecord | None:
        return self._state.integrations.get(rotation_id)

    async def put(self, integration: IntegrationRecord) -> None:
        self._state.integrations[integration.rotation_id] = integration

    async def forget(self, rotation_id: str) -> None:
        self._state.integrations.pop(rotation_id, None)

    async def owner_and_active_into(
        self, target_rotation_id: str
    ) -> tuple[IntegrationRecord | None, list[IntegrationRecord]]:
        members = [
            i
            for i in self._state.integrations.values()
            if i.target_rotation_id == target_rotation_id and i.active
        ]
        return self._state.integrations.get(target_rotation_id), members

    async def targets_showing(self, account_key: str, email: str) -> set[str]:
        shown_in = {
            s.rotation_id
            for s in self._state.shifts.values()
            if email in ((s.primary_email or "").lower(), (s.backup_email or "").lower())
        }
        return {
            i.target_rotation_id
            for i in self._state.integrations.values()
            if i.account_key == account_key and i.rotation_id in shown_in
        }

    async def one_per_account(self) -> list[IntegrationRecord]:
        latest: dict[str, IntegrationRecord] = {}
        for i in sorted(self._state.integrations.values(), key=lambda i: i.configured_at, reverse=True):
            if i.mode == "own" and i.active:
                latest.setdefault(i.account_key, i)
        return list(latest.values())

    async def owners_checked_longest_ago(self, limit: int | None) -> list[str]:
        def last_checked(rotation_id: str) -> tuple[bool, datetime | None, str]:
            checks = [
                t.drift_checked_at
                for (target, _), t in self._state.targets.items()
                if target == rotation_id and t.drift_checked_at is not None
            ]
            return (bool(checks), min(checks) if checks else None, rotation_id)  # never checked first

        owners = [i.rotation_id for i in self._state.integrations.values() if i.mode == "own" and i.active]
        return sorted(owners, key=last_checked)[:limit]


class FakeUsers:
    def __init__(self, state: State) -> None:
        self._state = state

    async def lock_emails(self, account_key: str, emails: Iterable[str]) -> None:
        """Nothing to do: the tests on fakes run one unit of work at a time."""

    async def user_id(self, account_key: str, email: str) -> str | None:
        return self._state.users.get((account_key, email))

    async def put(self, account_key: str, email: str, user_id: str) -> None:
        self._state.users[account_key, email] = user_id

    async def user_ids(self, account_key: str, emails: set[str]) -> dict[str, str]:
        return {e: u for (key, e), u in self._state.users.items() if key == account_key and e in emails}

    async def forget(self, account_key: str, user_id: str) -> list[str]:
        gone = sorted(e for (key, e), u in self._state.users.items() if key == account_key and u == user_id)
        for email in gone:
            del self._state.users[account_key, email]
        return gone

    async def in_use(self, account_key: str, ending_after: datetime) -> dict[str, str]:
        active = {
            i.rotation_id
            for i in self._state.integrations.values()
            if i.account_key == account_key and i.active
        }
        emails = {
            (email or "").lower()
            for s in self._state.shifts.values()
            if s.rotation_id in active and s.end > ending_after and not s.cancelled
            for email in (s.primary_email, s.backup_email)
        }
        return await self.user_ids(account_key, emails)


class FakeAwaitedUsers:
    def __init__(self, state: State) -> None:
        self._state = state

    async def forget(self, target_rotation_id: str, role: str) -> None:
        self._state.awaited = {a for a in self._state.awaited if (a[2], a[3]) != (target_rotation_id, role)}

    async def add(self, account_key: str, target_rotation_id: str, role: str, emails: Iterable[str]) -> None:
        self._state.awaited |= {(account_key, email, target_rotation_id, role) for email in emails}

    async def stop_awaiting(self, account_key: str, email: str) -> set[str]:
        stopped = {a for a in self._state.awaited if a[:2] == (account_key, email)}
        self._state.awaited -= stopped
        still_waiting = {a[2] for a in self._state.awaited}
        return {a[2] for a in stopped} - still_waiting


class FakeTargets:
    def __init__(self, state: State, database: FakeDatabase, held_here: set[TargetKey]) -> None:
        self._state, self._database, self._held_here = state, database, held_here

    def _held_elsewhere(self, key: TargetKey) -> bool:
        return key in self._database.held and key not in self._held_here

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
        for role in ROLES:
            key = (target_rotation_id, role)
            if unless_syncing and self._held_elsewhere(key):
                continue
            known = self._state.targets.get(key)
            if known is None:
                if not self._writes_schedules(target_rotation_id):
                    continue  # deleted or not configured (yet): as the SQL adapter, no rows created
                self._state.targets[key] = TargetSchedule(
                    target_rotation_id,
                    role,
                    dirty_seq=1,
                    dirty_at=now,
                    last_dirty_at=now,
                    check_drift=drift,
                    traceparent=traceparent,
                    changed_at=changed_at,
                )
                continue
            known.dirty_seq += 1
            known.dirty_at = known.dirty_at or now
            known.last_dirty_at = now
            known.check_drift = known.check_drift or drift
            known.traceparent = traceparent or known.traceparent
            known.changed_at = known.changed_at or changed_at

    def _writes_schedules(self, target_rotation_id: str) -> bool:
        """Whether the target's own integration is active: only then may a mark create its rows. Checked
        at the mark (the SQL adapter checks at commit): they differ only when the target's own
        integration changes after the mark in the same unit of work."""
        owner = self._state.integrations.get(target_rotation_id)
        return owner is not None and owner.active and owner.mode == "own"

    async def due(self, now: datetime, debounce: timedelta, max_wait: timedelta) -> list[tuple[str, str]]:
        return [
            key
            for key, t in self._state.targets.items()
            if t.dirty_seq > t.synced_seq
            and (
                (t.last_dirty_at is not None and t.last_dirty_at <= now - debounce)
                or (t.dirty_at is not None and t.dirty_at <= now - max_wait)
                or (t.dirty_seq == t.synced_seq + 1 and t.dirty_at is not None)
            )
        ]

    async def claim(self, target_rotation_id: str, role: str) -> TargetSchedule | None:
        key = (target_rotation_id, role)
        if self._held_elsewhere(key) or key not in self._state.targets:
            return None
        self._held_here.add(key)
        self._database.held.add(key)
        return copy.deepcopy(self._state.targets[key])

    async def save(self, target: TargetSchedule) -> None:
        self._state.targets[target.target_rotation_id, target.role] = copy.deepcopy(target)

    async def check_drift_of_dirty(self) -> int:
        dirty = [t for t in self._state.targets.values() if t.dirty_seq > t.synced_seq]
        for target in dirty:
            target.check_drift = True
        return len(dirty)

    async def forget(self, target_rotation_id: str) -> None:
        self._state.targets = {k: t for k, t in self._state.targets.items() if k[0] != target_rotation_id}


class FakeOutbox:
    def __init__(self, state: State) -> None:
        self._state = state

    def add(self, payloads: Iterable[Any]) -> None:
        self._state.outbox.extend(payloads)


class FakeUnitOfWork(InMemoryUnitOfWork[State], UnitOfWork):
    database: FakeDatabase

    def __init__(self, database: FakeDatabase) -> None:
        self._held: set[TargetKey] = set()
        super().__init__(database)

    def attach(self, working: State) -> None:
        self.rotations = FakeRotations(working)
        self.shifts = FakeShifts(working)
        self.integrations = FakeIntegrations(working)
        self.users = FakeUsers(working)
        self.awaited = FakeAwaitedUsers(working)
        self.targets = FakeTargets(working, self.database, self._held)
        self.outbox = FakeOutbox(working)

    async def commit(self) -> None:
        self._release()
        await super().commit()

    async def rollback(self) -> None:
        self._release()
        await super().rollback()

    def _release(self) -> None:
        self.database.held -= self._held
        self._held.clear()


class FakeDatabase(InMemoryDatabase[State]):
    """The committed state; `unit_of_work` is the factory the service layer takes."""

    def __init__(self) -> None:
        super().__init__(State())
        self.held: set[TargetKey] = set()  # targets claimed by a unit of work not yet ended

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def target(self, rotation_id: str, role: str = "primary") -> TargetSchedule | None:
        return copy.deepcopy(self.committed.targets.get((rotation_id, role)))

    def published(self) -> list[Any]:
        return list(self.committed.outbox)
