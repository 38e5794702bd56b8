"""Drain dirty target schedules: one sync at a time per PagerDuty schedule, bursts coalesced."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opentelemetry import propagate, trace

from oncall_contracts import (
    CredentialError,
    CredentialSealer,
    DriftRepair,
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
    limits,
)
from oncall_pagerduty import PagerDutyError
from oncall_platform import metrics
from oncall_platform.clock import Clock, system_clock
from pd_sync_service.domain.model import Layer
from pd_sync_service.domain.records import TargetSchedule
from pd_sync_service.service_layer.folding import await_users, mark_target_dirty
from pd_sync_service.service_layer.missing_users import ask_again, users_refused
from pd_sync_service.service_layer.sources import TargetInputs, as_utc, load_inputs
from pd_sync_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory
from pd_sync_service.service_layer.writer import PagerDutyApi, wanted_schedule, write_schedule

logger = logging.getLogger(__name__)


# (api_key, region) -> the process's long-lived client for them; the reconciler never closes it.
PagerDutyFactory = Callable[[str, str], PagerDutyApi]


@dataclass(frozen=True)
class ReconcilerConfig:
    debounce: timedelta = timedelta(milliseconds=50)
    max_wait: timedelta = timedelta(seconds=1)
    retry_after: timedelta = timedelta(seconds=5)
    awaiting_recheck: timedelta = timedelta(seconds=60)
    poll_interval: float = 1.0  # without a wake-up: other replicas' marks, postponed retries
    concurrency: int = 4  # targets synced at once: one slow PagerDuty answer must not queue the rest


class Reconciler:
    """Syncs each dirty target. `pagerduty_clock` is PagerDuty's notion of now (the simulator's in tests);
    debouncing uses the real clock."""

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        pagerduty: PagerDutyFactory,
        sealer: CredentialSealer,
        pagerduty_clock: Clock,
        config: ReconcilerConfig | None = None,
        *,
        clock: Clock = system_clock,
        tracer_provider: trace.TracerProvider | None = None,
    ) -> None:
        self._uow, self._pagerduty, self._sealer = unit_of_work, pagerduty, sealer
        self._now = clock
        self._pd_now = pagerduty_clock
        self._config = config or ReconcilerConfig()
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        self._woken = asyncio.Event()
        self._recheck_at: float | None = None  # time.monotonic() of the next pass for held-back marks
        self._synced_at: dict[tuple[str, str], float] = {}  # monotonic end of this process's last syncs

    def wake(self) -> None:
        """A change was committed in this process: drain now (a schedule marked once since it was in
        step is due at once), and again a debounce later (for the marks a burst coalesces)."""
        self._woken.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.drain_once()
            except Exception:  # keep reconciling; the failed target stays dirty
                logger.exception("reconcile pass failed")
            await self._until_work_may_be_due(stop)

    async def _until_work_may_be_due(self, stop: asyncio.Event) -> None:
        """Wait for a wake-up, for the recheck of marks held back to coalesce, or for the fallback poll."""
        timeout = self._config.poll_interval
        if self._recheck_at is not None:
            timeout = max(0.0, min(timeout, self._recheck_at - time.monotonic()))
        woken, stopping = asyncio.ensure_future(self._woken.wait()), asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({woken, stopping}, timeout=timeout, return_when="FIRST_COMPLETED")
        finally:
            woken.cancel()
            stopping.cancel()
        if self._woken.is_set():
            self._woken.clear()
            # A mark is stamped before its commit and the wake-up comes after it: a burst's later
            # marks are due a debounce after this.
            self._recheck_after(self._config.debounce.total_seconds() + 0.005)
        elif self._recheck_at is not None and time.monotonic() >= self._recheck_at:
            self._recheck_at = None

    def _recheck_after(self, seconds: float) -> None:
        at = time.monotonic() + seconds
        self._recheck_at = at if self._recheck_at is None else min(self._recheck_at, at)

    async def drain_once(self) -> int:
        """Sync every target that is due; returns how many were synced."""
        async with self._uow() as uow:
            due = await uow.targets.due(self._now(), self._config.debounce, self._config.max_wait)
        due = self._not_just_synced(due)
        limit = asyncio.Semaphore(self._config.concurrency)

        async def sync(target_rotation_id: str, role: str) -> None:
            async with limit:
                await self.sync_target(target_rotation_id, role)
                self._synced_at[target_rotation_id, role] = time.monotonic()

        outcomes = await asyncio.gather(*(sync(target, role) for target, role in due), return_exceptions=True)
        for (target, role), outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, Exception):  # the target stays dirty and is tried again
                logger.error("syncing %s (%s) failed", target, role, exc_info=outcome)
        return len(due)

    def _not_just_synced(self, due: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Leave a target this process synced less than a debounce ago for the recheck: a change right
        after a write waits to coalesce with the rest of its burst, as any burst's later changes do."""
        debounce = self._config.debounce.total_seconds()
        horizon = time.monotonic() - debounce
        self._synced_at = {key: at for key, at in self._synced_at.items() if at > horizon}
        held = [self._synced_at[key] for key in due if key in self._synced_at]
        if held:
            self._recheck_after(min(held) + debounce - time.monotonic() + 0.001)
        return [key for key in due if key not in self._synced_at]

    async def request_drift_check(self, limit: int | None = None) -> int:
        """Periodic reconcile: mark the `limit` targets compared with PagerDuty longest ago (all when
        None) dirty with a GET-and-compare; returns how many. A few per interval keep hand edits from
        lasting while spending little of each key's budget."""
        now = self._now()
        async with self._uow() as uow:
            owners = await uow.integrations.owners_checked_longest_ago(limit)
            for owner in owners:
                await mark_target_dirty(uow, owner, now, drift=True)
            await uow.commit()
        self.wake()
        return len(owners)

    async def recover_interrupted_writes(self) -> int:
        """At start: a target still dirty may have had its write cut short by a crash (applied by
        PagerDuty, not recorded here), so its next sync reads PagerDuty first; returns how many."""
        async with self._uow() as uow:
            recovered = await uow.targets.check_drift_of_dirty()
            await uow.commit()
        return recovered

    async def sync_target(self, target_rotation_id: str, role: str) -> None:
        async with self._uow() as uow:
            target = await uow.targets.claim(target_rotation_id, role)
            if target is None or target.dirty_seq <= target.synced_seq:
                return  # another replica holds it, or it is clean
            seq = target.dirty_seq
            events: list[Any] = []
            # Continue the trace of the latest change that marked the target dirty (the consumer's span),
            # so one trace runs from the change to the PagerDuty write and the ScheduleSynced it publishes.
            parent = propagate.extract({"traceparent": target.traceparent} if target.traceparent else {})
            with self._tracer.start_as_current_span(
                "reconcile",
                context=parent,
                attributes={"rotation.id": target_rotation_id, "pagerduty.schedule.role": role},
            ) as span:
                if target.schedule_id:
                    span.set_attribute("pagerduty.schedule.id", target.schedule_id)
                inputs = await load_inputs(uow, target_rotation_id, role, self._pd_now())
                waiting: set[str] = set()
                if inputs is not None:
                    account_key = inputs.owner.account_key
                    waiting = await await_users(
                        uow, account_key, target_rotation_id, role, inputs.unknown_emails
                    )
                    if waiting != inputs.unknown_emails:  # users arrived while the inputs were read
                        inputs = await load_inputs(uow, target_rotation_id, role, self._pd_now())
                retry_at: datetime | None = None
                if inputs is not None and not waiting and (inputs.sources or target.schedule_id):
                    span.set_attribute("rotation.sources", [s.rotation_id for s in inputs.sources])
                    events, retry_at = await self._sync(uow, target, inputs)
                changed_at = target.changed_at
                if target.schedule_id:
                    span.set_attribute("pagerduty.schedule.id", target.schedule_id)
                span.set_attribute("reconcile.retry", retry_at is not None)
                span.set_attribute("reconcile.awaited_users", len(waiting))
                if retry_at is not None:
                    _postpone(target, retry_at)
                elif waiting:
                    # Woken when the last awaited user is provisioned; the late check is a safety net
                    # for a wake-up skipped while a sync of this target failed.
                    _postpone(target, self._now() + self._config.awaiting_recheck)
                    events = _waiting_for(target.role, inputs, waiting)
                else:
                    target.synced_seq = seq
                    target.dirty_at = target.last_dirty_at = target.changed_at = None
                    target.traceparent = None
                await uow.targets.save(target)
                uow.outbox.add(events)  # in the span: the relay's publish continues its trace
            await uow.commit()
        self._measure(target, events, changed_at, waiting=bool(waiting))

    def _measure(
        self, target: TargetSchedule, events: list[Any], changed_at: datetime | None, *, waiting: bool
    ) -> None:
        """After the commit: the sync's outcome; for a synced change, how long it took to reach PagerDuty."""
        labels = (target.target_rotation_id, target.role)
        if any(isinstance(event, ScheduleSyncFailed) for event in events):
            metrics.SCHEDULE_SYNCS.labels(target.role, "failed").inc()
            metrics.SCHEDULE_SYNC_FAILING.labels(*labels).set(1)
            return
        if waiting:
            metrics.SCHEDULE_SYNCS.labels(target.role, "awaiting_users").inc()
            return
        metrics.SCHEDULE_SYNCS.labels(target.role, "synced").inc()
        with contextlib.suppress(KeyError):  # it was not failing
            metrics.SCHEDULE_SYNC_FAILING.remove(*labels)
        if changed_at is not None:
            seconds = (self._now() - as_utc(changed_at)).total_seconds()
            metrics.CHANGE_TO_PAGERDUTY.labels(target.role).observe(max(0.0, seconds))

    async def _sync(
        self, uow: UnitOfWork, target: TargetSchedule, inputs: TargetInputs
    ) -> tuple[list[Any], datetime | None]:
        """Write the schedule; returns the results to publish and when to try again (None: done)."""
        owner = inputs.owner
        try:
            api_key = self._sealer.open(owner.credential, owner.account_key)
        except CredentialError as error:
            # No retry can open it: it waits for the integration to be configured (or resealed) again.
            return _failed(target, inputs, _UNOPENABLE.format(error=error), retryable=False), None
        client = _CountingApi(self._pagerduty(api_key, owner.region))
        compares = target.check_drift or target.schedule_id is None  # a GET-and-compare, or a fresh schedule
        try:
            layers, repairs = await self._write(client, target, inputs)
        except PagerDutyError as error:
            # A write that timed out may have been applied: read PagerDuty before the next write.
            target.check_drift = True
            retry_at = self._now() + self._config.retry_after if error.retryable else None
            refused = users_refused(error)
            if refused:  # the next pass waits for the users asked for again (or has their new ids)
                reason = f"PagerDuty refused the schedule: {error.describe()}"
                await ask_again(
                    uow,
                    owner,
                    dict.fromkeys(refused, reason),
                    self._now(),
                    syncing=target.target_rotation_id,
                )
                retry_at = self._now()
            failed = _failed(
                target, inputs, str(error)[:500] or "PagerDuty error", retryable=retry_at is not None
            )
            return failed, retry_at
        target.layers, target.check_drift = layers, False
        if compares:
            target.drift_checked_at = self._now()
        synced = [
            ScheduleSynced(
                rotation_id=source.rotation_id,
                role=target.role,
                schedule_id=target.schedule_id or "",
                schedule_url=target.schedule_url or "",
                synced_until=as_utc(target.synced_until or self._now()),
                layer_ids=[
                    layer.id or "" for layer in layers if layer.owner == source.rotation_id and layer.id
                ],
                requests_spent=client.requests_sent,
                drift_repaired=bool(repairs),
                repairs=repairs,
            )
            for source in inputs.sources
        ]
        return synced, None

    async def _write(
        self, client: PagerDutyApi, target: TargetSchedule, inputs: TargetInputs
    ) -> tuple[list[Layer], list[DriftRepair]]:
        return await write_schedule(client, target, wanted_schedule(target.role, inputs, self._pd_now()))


_UNOPENABLE = (
    "the sealed PagerDuty API key cannot be opened ({error}): the credential key it was sealed with is "
    "not configured here; restore that key, or configure the integration again"
)


def _failed(target: TargetSchedule, inputs: TargetInputs, reason: str, *, retryable: bool) -> list[Any]:
    return [
        ScheduleSyncFailed(rotation_id=s.rotation_id, role=target.role, reason=reason, retryable=retryable)
        for s in inputs.sources
    ]


class _CountingApi:
    """One sync's view of a shared client, counting the calls it makes (retries inside a call excluded)."""

    def __init__(self, client: PagerDutyApi) -> None:
        self._client = client
        self.requests_sent = 0

    async def get(self, path: str, params: Any = None) -> dict[str, Any]:
        self.requests_sent += 1
        return await self._client.get(path, params)

    async def post(self, path: str, json: Any = None, *, at_most_once: bool = False) -> dict[str, Any]:
        self.requests_sent += 1
        return await self._client.post(path, json, at_most_once=at_most_once)

    async def put(self, path: str, json: Any = None) -> dict[str, Any]:
        self.requests_sent += 1
        return await self._client.put(path, json)


def _waiting_for(role: str, inputs: TargetInputs | None, waiting: set[str]) -> list[Any]:
    """Tell each rotation shown in the schedule whom its sync waits for."""
    sources = inputs.sources if inputs is not None else []
    emails = sorted(waiting)[: limits.WAITING_FOR]
    return [ScheduleSyncWaiting(rotation_id=s.rotation_id, role=role, waiting_for=emails) for s in sources]


def _postpone(target: TargetSchedule, until: datetime) -> None:
    """Keep the target dirty but due only at `until` (unless a new change marks it again)."""
    target.dirty_at = None
    target.last_dirty_at = until
