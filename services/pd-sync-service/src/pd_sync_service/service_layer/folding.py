"""Fold contract events into the service's state and mark the affected schedules dirty, in one unit of
work (so a crash never applies an event without its dirty mark, or the reverse)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate

from oncall_contracts import (
    CoverageWindow,
    IntegrationConfigured,
    IntegrationRemoved,
    PagerDutyUserProvisioned,
    RotationCreated,
    RotationDeleted,
    RotationUpdated,
    ShiftChanged,
)
from pd_sync_service.domain.model import DailyWindow
from pd_sync_service.domain.records import IntegrationRecord, RotationSettings, ShiftRecord
from pd_sync_service.service_layer.unit_of_work import UnitOfWork

HANDLED_EVENTS = (
    ShiftChanged,
    IntegrationConfigured,
    IntegrationRemoved,
    RotationCreated,
    RotationUpdated,
    RotationDeleted,
    PagerDutyUserProvisioned,
)
ROLES = ("primary", "backup")


async def fold(uow: UnitOfWork, payload: Any, now: datetime, accepted_at: datetime | None = None) -> None:
    """Apply one decoded payload; events this service does not need (not in HANDLED_EVENTS) are ignored.
    `accepted_at` (the event's `occurred_at`) is when the change was accepted, for the schedules it marks."""
    if isinstance(payload, ShiftChanged):
        shifts = ShiftRun()
        shifts.add(payload, accepted_at)
        await shifts.fold(uow, now)
    elif isinstance(payload, IntegrationConfigured):
        await _fold_integration(uow, payload, now, accepted_at)
    elif isinstance(payload, IntegrationRemoved):
        await _fold_removal(uow, payload, now, accepted_at)
    elif isinstance(payload, RotationCreated | RotationUpdated):
        await _save_rotation(
            uow, payload.rotation_id, payload.name, payload.time_zone, payload.coverage, payload.backup
        )
        await mark_rotation_dirty(uow, payload.rotation_id, now, changed_at=accepted_at)
    elif isinstance(payload, PagerDutyUserProvisioned):
        await _fold_user(uow, payload, now, accepted_at)
    elif isinstance(payload, RotationDeleted):
        await _forget_rotation(uow, payload.rotation_id, now, accepted_at)


class BatchFolder:
    """Folds a batch's events in their order, in one unit of work, as `fold` would one by one; a run
    of consecutive ShiftChanged events is written as one statement (a bulk change is mostly shifts).
    `flush` before the unit of work commits."""

    def __init__(self, uow: UnitOfWork, clock: Callable[[], datetime]) -> None:
        self._uow = uow
        self._clock = clock
        self._shifts = ShiftRun()

    async def fold(self, payload: Any, accepted_at: datetime | None = None) -> None:
        if isinstance(payload, ShiftChanged):
            self._shifts.add(payload, accepted_at)
            return
        await self.flush()  # whatever comes next sees the shifts before it
        await fold(self._uow, payload, self._clock(), accepted_at)

    async def flush(self) -> None:
        shifts, self._shifts = self._shifts, ShiftRun()
        await shifts.fold(self._uow, self._clock())


@dataclass
class _Pending:
    record: ShiftRecord
    accepted_at: datetime | None  # the earliest of its events in the run
    context: otel_context.Context  # of its latest event: the span its dirty mark continues
    order: int


class ShiftRun:
    """ShiftChanged events not yet written: the highest revision of each shift."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._added = 0

    def add(self, event: ShiftChanged, accepted_at: datetime | None) -> None:
        self._added += 1
        key = event.rotation_id, event.shift_id
        known = self._pending.get(key)
        if known is not None:
            accepted_at = min((at for at in (accepted_at, known.accepted_at) if at is not None), default=None)
            if known.record.revision >= event.revision:  # stale within the run: marks nothing of its own
                self._pending[key] = replace(known, accepted_at=accepted_at)
                return
        context = otel_context.get_current()
        self._pending[key] = _Pending(_shift_record(event), accepted_at, context, self._added)

    async def fold(self, uow: UnitOfWork, now: datetime) -> None:
        """Write the shifts newer than those kept, and mark each rotation with a written one dirty."""
        if not self._pending:
            return
        written = await uow.shifts.put_newer(pending.record for pending in self._pending.values())
        by_rotation: dict[str, list[_Pending]] = {}
        for key in written:
            by_rotation.setdefault(key[0], []).append(self._pending[key])
        for rotation_id in sorted(by_rotation):
            changes = by_rotation[rotation_id]
            latest = max(changes, key=lambda pending: pending.order)
            accepted = min((p.accepted_at for p in changes if p.accepted_at is not None), default=None)
            token = otel_context.attach(latest.context)
            try:
                await mark_rotation_dirty(uow, rotation_id, now, changed_at=accepted)
            finally:
                otel_context.detach(token)


def _shift_record(event: ShiftChanged) -> ShiftRecord:
    return ShiftRecord(
        rotation_id=event.rotation_id,
        shift_id=event.shift_id,
        revision=event.revision,
        start=event.start,
        end=event.end,
        primary_email=event.primary,
        backup_email=event.backup,
        cancelled=event.cancelled,
    )


async def _fold_integration(
    uow: UnitOfWork, event: IntegrationConfigured, now: datetime, accepted_at: datetime | None
) -> None:
    known = await uow.integrations.get(event.rotation_id)
    if known is not None and known.revision >= event.revision:
        return
    await uow.integrations.put(
        IntegrationRecord(
            rotation_id=event.rotation_id,
            revision=event.revision,
            active=True,
            mode=event.mode,
            target_rotation_id=event.target_rotation_id,
            schedule_name=event.schedule_name,
            account_key=event.account.key,
            subdomain=event.account.subdomain,
            region=event.account.region,
            credential=event.credential,
            schedule_time_zone=event.schedule_time_zone,
            # Its layer's place among the target's: when it (last) started to sync.
            configured_at=now if known is None or not known.active else known.configured_at,
        )
    )
    await _save_rotation(
        uow, event.rotation_id, event.rotation_name, event.time_zone, event.coverage, event.backup
    )
    targets = {event.target_rotation_id} | ({known.target_rotation_id} if known is not None else set())
    for target in sorted(targets):  # the previous target too: the rotation's layer must end there
        await mark_target_dirty(uow, target, now, changed_at=accepted_at)


async def _fold_removal(
    uow: UnitOfWork, event: IntegrationRemoved, now: datetime, accepted_at: datetime | None
) -> None:
    known = await uow.integrations.get(event.rotation_id)
    if known is None or known.revision >= event.revision:
        return
    await uow.integrations.put(replace(known, revision=event.revision, active=False))
    if known.target_rotation_id != known.rotation_id and await _writes_schedules(
        uow, known.target_rotation_id
    ):
        # End its layer in the shared schedule.
        await mark_target_dirty(uow, known.target_rotation_id, now, changed_at=accepted_at)


async def _writes_schedules(uow: UnitOfWork, target_rotation_id: str) -> bool:
    """Whether the target's schedules are still written (its own integration is active): a merge
    ended after its target was deleted must not bring the deleted target's rows back."""
    owner = await uow.integrations.get(target_rotation_id)
    return owner is not None and owner.active and owner.mode == "own"


async def _forget_rotation(
    uow: UnitOfWork, rotation_id: str, now: datetime, accepted_at: datetime | None
) -> None:
    """A deleted rotation is never shown again: drop its settings, shifts, integration and its own
    schedules' rows. PagerDuty needs none of them: its layer in a shared schedule is ended from the
    target's own rows (the layers last written), and its own schedules are written no more."""
    known = await uow.integrations.get(rotation_id)
    merged_and_shown = (
        known is not None
        and known.active
        and known.target_rotation_id != rotation_id
        and await _writes_schedules(uow, known.target_rotation_id)
    )
    if known is not None and merged_and_shown:
        # Deleted without an IntegrationRemoved first (the rotation service sends one): end its layer.
        await mark_target_dirty(uow, known.target_rotation_id, now, changed_at=accepted_at)
    # In this order, each statement seeing what the units it waited for committed: the integration
    # first (a mark creating target rows holds it shared), then the target rows (a sync holds its
    # row while it records whom it waits for), then the awaited users.
    await uow.integrations.forget(rotation_id)
    await uow.targets.forget(rotation_id)
    for role in ROLES:
        await uow.awaited.forget(rotation_id, role)
    await uow.shifts.forget(rotation_id)
    await uow.rotations.forget(rotation_id)


async def _save_rotation(
    uow: UnitOfWork,
    rotation_id: str,
    name: str,
    time_zone: str,
    coverage: CoverageWindow | None,
    backup: bool,
) -> None:
    window = None if coverage is None else DailyWindow(coverage.start, coverage.end)
    await uow.rotations.put(RotationSettings(rotation_id, name, time_zone, window, backup))


async def _fold_user(
    uow: UnitOfWork, event: PagerDutyUserProvisioned, now: datetime, accepted_at: datetime | None
) -> None:
    """Record the user; sync the schedules that waited for it and now wait for no one (a new user),
    or every schedule showing that e-mail (a user whose id changed)."""
    account_key, email = event.account.key, event.email.lower()
    await uow.users.lock_emails(account_key, [email])
    known = await uow.users.user_id(account_key, email)
    if known == event.user_id:
        return
    await uow.users.put(account_key, email, event.user_id)
    # A waiting target a sync holds right now is skipped, not waited for: that sync holds or waits for
    # this e-mail's lock, so it sees the user (see await_users), and waiting here could deadlock with it.
    for target in sorted(await uow.awaited.stop_awaiting(account_key, email)):
        await mark_target_dirty(uow, target, now, unless_syncing=True, changed_at=accepted_at)
    if known is not None:
        for target in sorted(await uow.integrations.targets_showing(account_key, email)):
            await mark_target_dirty(uow, target, now, changed_at=accepted_at)


async def await_users(
    uow: UnitOfWork, account_key: str, target_rotation_id: str, role: str, emails: set[str]
) -> set[str]:
    """Remember the e-mails a target's sync waits for (replacing what it waited for before) and return
    them, less those provisioned since the sync read its users.

    Under each e-mail's lock, a user folded concurrently either committed before the check below (and
    is not waited for) or folds after this unit of work and finds what it waits for (and wakes the
    target): a target never waits for a user that has already arrived."""
    await uow.users.lock_emails(account_key, emails)
    await uow.awaited.forget(target_rotation_id, role)
    if not emails:
        return set()
    arrived = await uow.users.user_ids(account_key, emails)
    waiting = emails - arrived.keys()
    await uow.awaited.add(account_key, target_rotation_id, role, sorted(waiting))
    return waiting


async def mark_rotation_dirty(
    uow: UnitOfWork, rotation_id: str, now: datetime, *, changed_at: datetime | None = None
) -> None:
    integration = await uow.integrations.get(rotation_id)
    if integration is not None and integration.active:
        await mark_target_dirty(uow, integration.target_rotation_id, now, changed_at=changed_at)


async def mark_target_dirty(
    uow: UnitOfWork,
    target_rotation_id: str,
    now: datetime,
    *,
    drift: bool = False,
    unless_syncing: bool = False,
    changed_at: datetime | None = None,
) -> None:
    """Ask for a sync of the target's schedules, continuing the current trace (the consuming span's):
    when a burst coalesces, the latest change's context wins; a mark outside any trace keeps the last."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    await uow.targets.mark_dirty(
        target_rotation_id,
        now,
        traceparent=carrier.get("traceparent"),
        drift=drift,
        unless_syncing=unless_syncing,
        changed_at=changed_at,
    )
