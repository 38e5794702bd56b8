"""Drain dirty target schedules: one sync at a time per PagerDuty schedule, bursts coalesced."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from oncall_contracts import CredentialSealer, ScheduleSynced, ScheduleSyncFailed, SealedCredential
from oncall_pagerduty import PagerDutyError
from pd_sync_service.adapters.orm import IntegrationRow, TargetRow
from pd_sync_service.adapters.schedule_json import (
    layers_from_schedule,
    layers_from_store,
    layers_to_store,
    schedule_body,
)
from pd_sync_service.domain.model import Layer
from pd_sync_service.domain.plan import plan_layers, shows
from pd_sync_service.domain.schedule import expected_entries, schedule_layers
from pd_sync_service.service_layer.folding import mark_target_dirty
from pd_sync_service.service_layer.sources import TargetInputs, as_utc, load_inputs

logger = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class PagerDutyApi(Protocol):
    requests_sent: int

    async def get(self, path: str, params: Any = None) -> dict[str, Any]: ...
    async def post(self, path: str, json: Any = None) -> dict[str, Any]: ...
    async def put(self, path: str, json: Any = None) -> dict[str, Any]: ...
    async def aclose(self) -> None: ...


PagerDutyFactory = Callable[[str, str], PagerDutyApi]  # (api_key, region) -> client
Publish = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class ReconcilerConfig:
    debounce: timedelta = timedelta(milliseconds=150)
    max_wait: timedelta = timedelta(seconds=1)
    retry_after: timedelta = timedelta(seconds=5)
    poll_interval: float = 0.05


class Reconciler:
    """Syncs each dirty target. `pagerduty_clock` is PagerDuty's notion of now (the simulator's in tests);
    debouncing uses the real clock."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        pagerduty: PagerDutyFactory,
        sealer: CredentialSealer,
        publish: Publish,
        pagerduty_clock: Clock,
        config: ReconcilerConfig | None = None,
    ) -> None:
        self._sessions, self._pagerduty, self._sealer = sessions, pagerduty, sealer
        self._publish, self._pd_now = publish, pagerduty_clock
        self._config = config or ReconcilerConfig()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.drain_once()
            except Exception:  # keep reconciling; the failed target stays dirty
                logger.exception("reconcile pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._config.poll_interval)

    async def drain_once(self) -> int:
        """Sync every target that is due; returns how many were synced."""
        now = datetime.now(UTC)
        async with self._sessions() as session:
            due = (
                await session.execute(
                    select(col(TargetRow.target_rotation_id), col(TargetRow.role)).where(
                        col(TargetRow.dirty_seq) > TargetRow.synced_seq,
                        or_(
                            col(TargetRow.last_dirty_at) <= now - self._config.debounce,
                            col(TargetRow.dirty_at) <= now - self._config.max_wait,
                        ),
                    )
                )
            ).all()
        for target_rotation_id, role in due:
            await self.sync_target(target_rotation_id, role)
        return len(due)

    async def request_drift_check(self) -> None:
        """Periodic reconcile: mark every active target dirty with a GET-and-compare."""
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            owners = await session.scalars(
                select(col(IntegrationRow.rotation_id)).where(
                    col(IntegrationRow.mode) == "own", col(IntegrationRow.active).is_(True)
                )
            )
            for owner in list(owners):
                await mark_target_dirty(session, owner, now, drift=True)

    async def sync_target(self, target_rotation_id: str, role: str) -> None:
        events: list[Any] = []
        async with self._sessions() as session, session.begin():
            row = (
                await session.scalars(
                    select(TargetRow)
                    .where(
                        col(TargetRow.target_rotation_id) == target_rotation_id, col(TargetRow.role) == role
                    )
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if row is None or row.dirty_seq <= row.synced_seq:
                return  # another replica holds it, or it is clean
            seq = row.dirty_seq
            inputs = await load_inputs(session, target_rotation_id, role)
            retry = False
            if inputs is not None and not inputs.unknown_emails and (inputs.sources or row.schedule_id):
                events, retry = await self._sync(row, inputs)
            if retry:
                row.last_dirty_at = datetime.now(UTC) + self._config.retry_after
            else:
                row.synced_seq, row.check_drift = seq, False
                row.dirty_at = row.last_dirty_at = None
            session.add(row)
        for event in events:
            await self._publish(event)

    async def _sync(self, row: TargetRow, inputs: TargetInputs) -> tuple[list[Any], bool]:
        owner = inputs.owner
        api_key = self._sealer.open(SealedCredential.model_validate(owner.credential), owner.account_key)
        client = self._pagerduty(api_key, owner.region)
        try:
            layers, drift = await self._write(client, row, inputs)
        except PagerDutyError as error:
            failed = [
                ScheduleSyncFailed(
                    rotation_id=s.rotation_id,
                    role=row.role,
                    reason=str(error)[:500] or "PagerDuty error",
                    retryable=error.retryable,
                )
                for s in inputs.sources
            ]
            return failed, error.retryable
        finally:
            await client.aclose()
        row.layers = layers_to_store(layers)
        synced = [
            ScheduleSynced(
                rotation_id=source.rotation_id,
                role=row.role,
                schedule_id=row.schedule_id or "",
                schedule_url=row.schedule_url or "",
                synced_until=as_utc(row.synced_until or datetime.now(UTC)),
                layer_ids=[
                    layer.id or "" for layer in layers if layer.owner == source.rotation_id and layer.id
                ],
                requests_spent=client.requests_sent,
                drift_repaired=drift,
            )
            for source in inputs.sources
        ]
        return synced, False

    async def _write(
        self, client: PagerDutyApi, row: TargetRow, inputs: TargetInputs
    ) -> tuple[list[Layer], bool]:
        """Create or update the schedule; return the layers PagerDuty holds and whether drift was repaired."""
        zone = inputs.owner.schedule_time_zone
        since = self._pd_now().astimezone(UTC).replace(second=0, microsecond=0)
        ends = [a.end for s in inputs.sources for a in s.assignments]
        until = max([since + timedelta(days=1), *ends]).replace(second=0, microsecond=0)
        desired = schedule_layers(inputs.sources, zone, since, until)
        expected = expected_entries(inputs.sources, since, until)
        name = inputs.owner.schedule_name + (" (backup)" if row.role == "backup" else "")
        row.synced_until = until
        if row.schedule_id is None:
            body = (await client.post("/schedules", json=schedule_body(name, zone, desired)))["schedule"]
            row.schedule_id, row.schedule_url = str(body["id"]), str(body.get("html_url") or "")
            return _with_owners(body, desired, []), False
        stored = layers_from_store(row.layers)
        held, drift = stored, False
        if row.check_drift:
            fetched = (await client.get(f"/schedules/{row.schedule_id}"))["schedule"]
            held = layers_from_schedule(
                fetched, {layer.id: layer.owner for layer in stored if layer.id and layer.owner}
            )
            drift = not shows(held, expected, zone, since, until) and shows(
                stored, expected, zone, since, until
            )
        if shows(held, expected, zone, since, until):
            return held, False
        sent = plan_layers(held, desired, since)
        body = (await client.put(f"/schedules/{row.schedule_id}", json=schedule_body(name, zone, sent)))[
            "schedule"
        ]
        return _with_owners(body, [layer for layer in sent if layer.id is None], sent), drift


def _with_owners(body: dict[str, Any], created: list[Layer], sent: list[Layer]) -> list[Layer]:
    """PagerDuty's layers (precedence order) with owners: known ids from `sent`, and the layers it
    appended for `created`, in order."""
    owners = {layer.id: layer.owner for layer in sent if layer.id and layer.owner}
    layers = layers_from_schedule(body, owners)
    fresh = [index for index, layer in enumerate(layers) if layer.id not in owners]
    for index, layer in zip(fresh[len(fresh) - len(created) :], created, strict=True):
        layers[index] = Layer(**{**layers[index].__dict__, "owner": layer.owner})
    return layers
