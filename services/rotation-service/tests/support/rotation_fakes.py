"""In-memory adapters behind the service layer's ports, for unit tests of the service layer.

A unit of work works on a copy of the committed state and replaces it on commit, so what a use case
does without committing (or before it raised) is lost, as in the database.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from oncall_contracts.envelope import Envelope
from oncall_contracts.values import PagerDutyAccount
from oncall_testing.unit_of_work import InMemoryDatabase, InMemoryUnitOfWork
from rotation_service.domain.integration import Integration, SyncStatus, UserProvisioning
from rotation_service.domain.listing import ListingPosition, RotationOverview, RotationSummary
from rotation_service.domain.model import Shift
from rotation_service.domain.rotation import Rotation
from rotation_service.domain.shift_requests import ShiftRequest
from rotation_service.service_layer.unit_of_work import UnitOfWork


@dataclass
class StoredRotation:
    rotation: Rotation
    created_at: datetime
    integration_revision: int = 0


@dataclass
class InMemoryState:
    rotations: dict[str, StoredRotation] = field(default_factory=dict)
    integrations: dict[str, Integration] = field(default_factory=dict)
    statuses: dict[tuple[str, str], SyncStatus] = field(default_factory=dict)
    user_provisioning: dict[tuple[str, str], UserProvisioning] = field(default_factory=dict)
    shift_requests: dict[str, ShiftRequest] = field(default_factory=dict)
    outbox: list[Envelope[Any]] = field(default_factory=list)
    processed: set[tuple[str, uuid.UUID]] = field(default_factory=set)


def _overview(stored: StoredRotation) -> RotationOverview:
    return RotationOverview(
        id=stored.rotation.id,
        name=stored.rotation.name,
        spec=stored.rotation.spec,
        members=dict(stored.rotation.members),
        admins=frozenset(stored.rotation.admins),
        position=ListingPosition(stored.created_at, stored.rotation.id),
    )


class FakeRotationRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._state = state

    async def get(self, rotation_id: str, *, for_update: bool = True) -> Rotation | None:
        stored = self._state.rotations.get(rotation_id)
        return None if stored is None else copy.deepcopy(stored.rotation)

    async def overview(self, rotation_id: str) -> RotationOverview | None:
        stored = self._state.rotations.get(rotation_id)
        return None if stored is None else _overview(stored)

    async def hold(self, rotation_id: str) -> bool:
        return rotation_id in self._state.rotations

    async def shifts_between(
        self, rotation_id: str, since: datetime | None, until: datetime | None
    ) -> list[Shift]:
        stored = self._state.rotations.get(rotation_id)
        shifts = [] if stored is None else sorted(stored.rotation.shifts.values(), key=lambda s: s.start)
        return [s for s in shifts if (since is None or s.end > since) and (until is None or s.start < until)]

    async def list(self) -> list[RotationSummary]:
        rotations = sorted((s.rotation for s in self._state.rotations.values()), key=lambda r: (r.name, r.id))
        return [RotationSummary(r.id, r.name, r.spec) for r in rotations]

    async def page(self, after: ListingPosition | None, limit: int) -> Sequence[RotationOverview]:
        def position(stored: StoredRotation) -> tuple[datetime, str]:
            return stored.created_at, stored.rotation.id

        listed = sorted(self._state.rotations.values(), key=position)
        if after is not None:
            listed = [s for s in listed if position(s) > (after.created_at, after.rotation_id)]
        return [_overview(s) for s in listed[:limit]]

    async def next_integration_revision(self, rotation_id: str) -> int:
        stored = self._state.rotations.get(rotation_id)
        if stored is None:
            raise LookupError(rotation_id)
        stored.integration_revision += 1
        return stored.integration_revision

    async def add(self, rotation: Rotation, created_at: datetime) -> None:
        if rotation.id in self._state.rotations:
            raise ValueError(f"rotation {rotation.id} exists")
        self._state.rotations[rotation.id] = StoredRotation(_kept(rotation), created_at)

    async def save(self, rotation: Rotation) -> None:
        self._state.rotations[rotation.id].rotation = _kept(rotation)

    async def remove(self, rotation_id: str) -> None:
        self._state.rotations.pop(rotation_id, None)


def _kept(rotation: Rotation) -> Rotation:
    """What the database keeps of an aggregate: its state, not its pending events."""
    kept = copy.deepcopy(rotation)
    kept.events.clear()
    return kept


class FakeIntegrationRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._state = state

    async def get(self, rotation_id: str) -> Integration | None:
        return self._state.integrations.get(rotation_id)

    async def all(self) -> list[Integration]:
        return list(self._state.integrations.values())

    async def merged_into(self, target_rotation_id: str) -> list[Integration]:
        return [
            i
            for i in self._state.integrations.values()
            if i.mode == "merge" and i.target_rotation_id == target_rotation_id
        ]

    async def put(self, integration: Integration) -> None:
        self._state.integrations[integration.rotation_id] = integration

    async def remove(self, rotation_id: str) -> None:
        self._state.integrations.pop(rotation_id, None)


class FakeSyncStatusRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._state = state

    async def for_rotation(self, rotation_id: str) -> list[SyncStatus]:
        return [s for (rid, _), s in sorted(self._state.statuses.items()) if rid == rotation_id]

    async def record_synced(
        self,
        rotation_id: str,
        role: str,
        *,
        schedule_id: str,
        schedule_url: str,
        layer_ids: list[str],
        synced_until: datetime,
        at: datetime,
    ) -> None:
        self._state.statuses[rotation_id, role] = replace(
            self._status(rotation_id, role),
            schedule_id=schedule_id,
            schedule_url=schedule_url,
            layer_ids=list(layer_ids),
            synced_until=synced_until,
            last_synced_at=at,
            last_error=None,
            last_error_retryable=None,
            last_error_at=None,
            waiting_for=[],
            waiting_reported_at=None,
        )

    async def record_failed(
        self, rotation_id: str, role: str, *, reason: str, retryable: bool, at: datetime
    ) -> None:
        self._state.statuses[rotation_id, role] = replace(
            self._status(rotation_id, role),
            last_error=reason,
            last_error_retryable=retryable,
            last_error_at=at,
            waiting_for=[],
            waiting_reported_at=None,
        )

    async def record_waiting(
        self, rotation_id: str, role: str, *, waiting_for: list[str], at: datetime
    ) -> None:
        self._state.statuses[rotation_id, role] = replace(
            self._status(rotation_id, role), waiting_for=list(waiting_for), waiting_reported_at=at
        )

    async def clear(self, rotation_id: str) -> None:
        for key in [key for key in self._state.statuses if key[0] == rotation_id]:
            del self._state.statuses[key]

    def _status(self, rotation_id: str, role: str) -> SyncStatus:
        return self._state.statuses.get((rotation_id, role)) or SyncStatus(
            rotation_id, role, None, None, [], None, None, None, None, None
        )


class FakeUserProvisioningRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._state = state

    async def record(self, outcome: UserProvisioning) -> None:
        key = (outcome.account_key, outcome.email)
        known = self._state.user_provisioning.get(key)
        if known is None or known.at <= outcome.at:
            self._state.user_provisioning[key] = outcome

    async def for_emails(self, account_key: str, emails: Iterable[str]) -> dict[str, UserProvisioning]:
        found = (self._state.user_provisioning.get((account_key, email)) for email in set(emails))
        return {outcome.email: outcome for outcome in found if outcome is not None}


class FakeShiftRequestRepository:
    def __init__(self, state: InMemoryState) -> None:
        self._state = state

    async def get(self, request_id: str) -> ShiftRequest | None:
        return self._state.shift_requests.get(request_id)

    async def put(self, request: ShiftRequest) -> None:
        self._state.shift_requests[request.id] = request

    async def pending(self, rotation_id: str, involving: str | None = None) -> list[ShiftRequest]:
        found = [
            r
            for r in self._state.shift_requests.values()
            if r.rotation_id == rotation_id
            and r.state == "pending"
            and (involving is None or r.involves(involving))
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    async def pending_involving(self, email: str, limit: int) -> list[ShiftRequest]:
        found = [r for r in self._state.shift_requests.values() if r.state == "pending" and r.involves(email)]
        return sorted(found, key=lambda r: (r.created_at, r.id))[:limit]

    async def due(self, now: datetime, limit: int) -> list[ShiftRequest]:
        found = [
            r for r in self._state.shift_requests.values() if r.state == "pending" and r.expires_at <= now
        ]
        return sorted(found, key=lambda r: r.expires_at)[:limit]


class FakeOutbox:
    def __init__(self, state: InMemoryState) -> None:
        self._state = state

    def add_all(self, envelopes: Iterable[Envelope[Any]]) -> None:
        self._state.outbox.extend(envelopes)


class FakeUnitOfWork(InMemoryUnitOfWork[InMemoryState], UnitOfWork):
    def attach(self, working: InMemoryState) -> None:
        self.rotations = FakeRotationRepository(working)
        self.integrations = FakeIntegrationRepository(working)
        self.sync_status = FakeSyncStatusRepository(working)
        self.user_provisioning = FakeUserProvisioningRepository(working)
        self.shift_requests = FakeShiftRequestRepository(working)
        self.outbox = FakeOutbox(working)


class FakeDatabase(InMemoryDatabase[InMemoryState]):
    """The committed state; `unit_of_work` is the factory the services take."""

    def __init__(self) -> None:
        super().__init__(InMemoryState())

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def published(self) -> list[Any]:
        """The payloads committed to the outbox, in order."""
        return [envelope.payload for envelope in self.committed.outbox]


class FakePagerDutyKeys:
    """Accepts every key except those in `refused` (key -> the KeyRefused to raise); records checks."""

    def __init__(self, refused: dict[str, Exception] | None = None) -> None:
        self.refused = refused or {}
        self.checked: list[tuple[str, str]] = []

    async def check(self, account: PagerDutyAccount, api_key: str) -> None:
        self.checked.append((account.key, api_key))
        if api_key in self.refused:
            raise self.refused[api_key]
