"""The ports the service layer depends on (repositories, the outbox, PagerDuty key checks); adapters and
in-memory fakes implement them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from oncall_contracts.envelope import Envelope
from oncall_contracts.values import PagerDutyAccount
from rotation_service.domain.integration import Integration, SyncStatus, UserProvisioning
from rotation_service.domain.listing import ListingPosition, RotationOverview, RotationSummary
from rotation_service.domain.model import Shift
from rotation_service.domain.rotation import Rotation
from rotation_service.domain.shift_requests import ShiftRequest


class RotationRepository(Protocol):
    """Rotation aggregates; `save` writes only what changed since `get` (or `add`) in this unit of work."""

    async def get(self, rotation_id: str, *, for_update: bool = True) -> Rotation | None:
        """The aggregate; `for_update` locks it so concurrent changes to one rotation serialise."""
        ...

    async def overview(self, rotation_id: str) -> RotationOverview | None:
        """Settings, members and administrators without the shifts, read only: for reads that
        show them (no lock, and `save` never sees it)."""
        ...

    async def hold(self, rotation_id: str) -> bool:
        """Whether the rotation exists; if so, it cannot be deleted until this unit of work ends (a
        shared lock: concurrent holders do not wait for each other)."""
        ...

    async def shifts_between(
        self, rotation_id: str, since: datetime | None, until: datetime | None
    ) -> list[Shift]:
        """The rotation's shifts overlapping `[since, until)` (unbounded where None), in time order."""
        ...

    async def list(self) -> list[RotationSummary]: ...

    async def page(self, after: ListingPosition | None, limit: int) -> Sequence[RotationOverview]:
        """The first `limit` rotations after `after` in listing order (creation time, then id); `after`
        need not exist any more."""
        ...

    async def next_integration_revision(self, rotation_id: str) -> int:
        """Bumps and returns the per-rotation revision of IntegrationConfigured/Removed events."""
        ...

    async def add(self, rotation: Rotation, created_at: datetime) -> None: ...

    async def save(self, rotation: Rotation) -> None: ...

    async def remove(self, rotation_id: str) -> None: ...


class IntegrationRepository(Protocol):
    async def get(self, rotation_id: str) -> Integration | None: ...

    async def all(self) -> list[Integration]: ...

    async def merged_into(self, target_rotation_id: str) -> list[Integration]:
        """The integrations in `merge` mode whose schedule is the target's."""
        ...

    async def put(self, integration: Integration) -> None:
        """Adds or replaces the rotation's integration."""
        ...

    async def remove(self, rotation_id: str) -> None: ...


class SyncStatusRepository(Protocol):
    async def for_rotation(self, rotation_id: str) -> list[SyncStatus]:
        """The rotation's statuses by role."""
        ...

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
        """A successful sync; clears the last error and whom it waited for."""
        ...

    async def record_failed(
        self, rotation_id: str, role: str, *, reason: str, retryable: bool, at: datetime
    ) -> None:
        """A failed sync; keeps what the last successful one recorded; the sync waits for no one."""
        ...

    async def record_waiting(
        self, rotation_id: str, role: str, *, waiting_for: list[str], at: datetime
    ) -> None:
        """The sync waits for users for these e-mails (replacing whom it waited for before)."""
        ...

    async def clear(self, rotation_id: str) -> None: ...


class UserProvisioningRepository(Protocol):
    async def record(self, outcome: UserProvisioning) -> None:
        """Keeps the later of `outcome` and what is recorded for its account and e-mail."""
        ...

    async def for_emails(self, account_key: str, emails: Iterable[str]) -> dict[str, UserProvisioning]:
        """The recorded outcomes in the account, by e-mail (e-mails never reported are absent)."""
        ...


class ShiftRequestRepository(Protocol):
    async def get(self, request_id: str) -> ShiftRequest | None: ...

    async def put(self, request: ShiftRequest) -> None:
        """Adds or replaces the request."""
        ...

    async def pending(self, rotation_id: str, involving: str | None = None) -> list[ShiftRequest]:
        """The rotation's undecided requests (expired ones too, until marked), oldest first; with
        `involving`, only those that person made or is asked."""
        ...

    async def pending_involving(self, email: str, limit: int) -> list[ShiftRequest]:
        """Up to `limit` undecided requests of any rotation that `email` made or is asked, oldest
        first."""
        ...

    async def due(self, now: datetime, limit: int) -> list[ShiftRequest]:
        """Up to `limit` undecided requests of any rotation whose expiry is at or before `now`."""
        ...


class EventOutbox(Protocol):
    """Events to publish once the unit of work commits (and only then)."""

    def add_all(self, envelopes: Iterable[Envelope[Any]]) -> None: ...


class PagerDutyKeys(Protocol):
    """Checks an API key against PagerDuty before it is saved."""

    async def check(self, account: PagerDutyAccount, api_key: str) -> None:
        """Passes when the key opens `account` (its subdomain, in its region) and may write; raises
        `KeyRefused` naming the failed check, or `PagerDutyUnavailable`."""
