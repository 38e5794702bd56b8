"""The PagerDuty integration of a rotation: settings (API key sealed at rest) and their events.

The integration lives beside the aggregate, not in it, because it holds a secret. Its events carry
only the sealed credential, bound to the PagerDuty account key, which pd-sync-service opens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from oncall_contracts.credentials import CredentialSealer
from oncall_contracts.rotation import v1
from oncall_contracts.values import PagerDutyAccount
from rotation_service.domain.integration import AwaitedPerson, Integration, SyncStatus
from rotation_service.domain.model import CoverageWindow
from rotation_service.domain.rotation import Rotation
from rotation_service.service_layer.errors import InvalidInput
from rotation_service.service_layer.event_mapping import contract_coverage, envelopes
from rotation_service.service_layer.unit_of_work import UnitOfWork

SyncedSettings = tuple[str, str, CoverageWindow | None, bool]


def synced_settings(rotation: Rotation) -> SyncedSettings:
    """What IntegrationConfigured carries from the rotation; a change of it is re-announced."""
    return (rotation.name, rotation.spec.time_zone, rotation.spec.coverage, rotation.spec.backup)


async def announce(uow: UnitOfWork, rotation: Rotation, integration: Integration, now: datetime) -> None:
    """Queues IntegrationConfigured for `rotation` with a fresh per-rotation revision."""
    target = rotation if integration.target_rotation_id == rotation.id else None
    if target is None:
        target = await uow.rotations.get(integration.target_rotation_id, for_update=False)
    schedule_time_zone = (target or rotation).spec.time_zone
    payload = v1.IntegrationConfigured(
        rotation_id=rotation.id,
        rotation_name=rotation.name,
        mode=integration.mode,
        target_rotation_id=integration.target_rotation_id,
        schedule_name=integration.schedule_name,
        account=integration.account,
        credential=integration.credential,
        time_zone=rotation.spec.time_zone,
        schedule_time_zone=schedule_time_zone,
        coverage=contract_coverage(rotation.spec),
        backup=rotation.spec.backup,
        revision=await uow.rotations.next_integration_revision(rotation.id),
    )
    uow.outbox.add_all(envelopes([payload], now, uuid.uuid4()))


async def reannounce(uow: UnitOfWork, rotation: Rotation, now: datetime) -> None:
    """After a change of synced settings: re-emit for the rotation and the rotations merged into it."""
    integration = await uow.integrations.get(rotation.id)
    if integration is None:
        return
    await announce(uow, rotation, integration, now)
    if integration.mode == "own":
        for merged in await uow.integrations.merged_into(rotation.id):
            merged_rotation = await uow.rotations.get(merged.rotation_id)
            if merged_rotation is not None:
                await announce(uow, merged_rotation, _follow(merged, integration, rotation.name), now)
                await uow.integrations.put(_follow(merged, integration, rotation.name))


def _follow(merged: Integration, target: Integration, target_name: str) -> Integration:
    """A merged rotation's settings after its target changed account, key or schedule name."""
    return Integration(
        rotation_id=merged.rotation_id,
        mode="merge",
        target_rotation_id=target.rotation_id,
        schedule_name=target.schedule_name,
        account=target.account,
        credential=target.credential,
        configured_at=merged.configured_at,
    )


async def remove(uow: UnitOfWork, rotation_id: str, now: datetime) -> bool:
    if await uow.integrations.get(rotation_id) is None:
        return False
    await uow.integrations.remove(rotation_id)
    await uow.sync_status.clear(rotation_id)
    revision = await uow.rotations.next_integration_revision(rotation_id)
    payload = v1.IntegrationRemoved(rotation_id=rotation_id, revision=revision)
    uow.outbox.add_all(envelopes([payload], now, uuid.uuid4()))
    return True


async def remove_everywhere(uow: UnitOfWork, rotation_id: str, now: datetime) -> None:
    """Stops the rotation's sync and that of every rotation merged into its schedule."""
    for merged in await uow.integrations.merged_into(rotation_id):
        await uow.rotations.get(merged.rotation_id)  # lock it before changing its integration
        await remove(uow, merged.rotation_id, now)
    await remove(uow, rotation_id, now)


@dataclass(frozen=True)
class OwnSchedule:
    subdomain: str
    api_key: str | None  # None: keep the key saved for this rotation's own schedule in the same account
    region: str
    schedule_name: str | None = None


@dataclass(frozen=True)
class IntegrationView:
    integration: Integration
    statuses: list[SyncStatus]
    waiting_for: list[AwaitedPerson] = field(default_factory=list)


def requested_account(request: OwnSchedule) -> PagerDutyAccount:
    return PagerDutyAccount(subdomain=request.subdomain, region="eu" if request.region == "eu" else "us")


def seal_own(
    rotation: Rotation,
    request: OwnSchedule,
    sealer: CredentialSealer,
    now: datetime,
    current: Integration | None = None,
) -> Integration:
    """The rotation's own-schedule settings; without a new API key, the one `current` holds is kept,
    but only for the same account (a sealed key is bound to its account)."""
    account = requested_account(request)
    if request.api_key is not None:
        credential = sealer.seal(request.api_key, account.key)
    elif current is not None and current.mode == "own" and current.account.key == account.key:
        credential = current.credential
    else:
        raise InvalidInput(
            "api_key", "enter the PagerDuty API key (a saved key is kept only for its own account)"
        )
    return Integration(
        rotation_id=rotation.id,
        mode="own",
        target_rotation_id=rotation.id,
        schedule_name=(request.schedule_name or rotation.name).strip(),
        account=account,
        credential=credential,
        configured_at=now,
    )
