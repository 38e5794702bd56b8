"""Use cases of the PagerDuty integration page: set up, merge, show, list candidates, delete."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from oncall_contracts.credentials import CredentialError, CredentialSealer
from oncall_platform.clock import Clock
from rotation_service.domain.integration import Integration, awaited_people
from rotation_service.domain.rotation import Rotation
from rotation_service.service_layer import integrations, merges
from rotation_service.service_layer.errors import InvalidInput, NotFound
from rotation_service.service_layer.integrations import IntegrationView, OwnSchedule
from rotation_service.service_layer.ports import PagerDutyKeys
from rotation_service.service_layer.rotations import load, require_admin
from rotation_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory


@dataclass
class ResealReport:
    """Rotations whose own key was re-sealed, and those whose key no configured credential key opens."""

    resealed: list[str] = field(default_factory=list)
    unopenable: list[str] = field(default_factory=list)


class PagerDutyService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, sealer: CredentialSealer, keys: PagerDutyKeys
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._sealer = sealer
        self._keys = keys

    async def configure_own(self, rotation_id: str, actor: str, request: OwnSchedule) -> IntegrationView:
        """A new API key is checked against PagerDuty first (outside any transaction), and only for an
        admin of the rotation: it must open the named subdomain in the named region and be able to write."""
        if request.api_key is not None:
            async with self._uow() as uow:
                require_admin(await load(uow, rotation_id, for_update=False), actor)
            await self._keys.check(integrations.requested_account(request), request.api_key)
        now = self._clock()
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id)
            require_admin(rotation, actor)
            await self._refuse_if_merged_elsewhere(uow, rotation_id, becoming="own")
            current = await uow.integrations.get(rotation_id)
            integration = integrations.seal_own(rotation, request, self._sealer, now, current)
            await uow.integrations.put(integration)
            await integrations.reannounce(uow, rotation, now)
            await uow.commit()
            return IntegrationView(integration, [])

    async def configure_merge(self, rotation_id: str, actor: str, merge_with: str) -> IntegrationView:
        now = self._clock()
        if merge_with == rotation_id:
            raise InvalidInput("merge_with", "a rotation cannot merge with itself")
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id)
            require_admin(rotation, actor)
            await self._refuse_if_merged_elsewhere(uow, rotation_id, becoming="merge")
            target, target_integration = await self._merge_target(uow, merge_with)
            # The merged rotation writes with the target's API key, so its admins must agree too.
            require_admin(target, actor)
            await self._refuse_overlap(uow, rotation, target)
            integration = Integration(
                rotation_id=rotation.id,
                mode="merge",
                target_rotation_id=target.id,
                schedule_name=target_integration.schedule_name,
                account=target_integration.account,
                credential=target_integration.credential,
                configured_at=now,
            )
            await uow.integrations.put(integration)
            await integrations.announce(uow, rotation, integration, now)
            await uow.commit()
            return IntegrationView(integration, [])

    async def reseal_credentials(self) -> ResealReport:
        """Re-seal every stored API key that is not under the newest credential key, and announce the
        integrations again (IntegrationConfigured carries the new seal to pd-sync and the provisioner;
        rotations merged into a schedule follow its owner). One transaction: all or nothing."""
        now = self._clock()
        report = ResealReport()
        async with self._uow() as uow:
            for integration in await uow.integrations.all():
                if integration.mode != "own" or not self._sealer.needs_resealing(integration.credential):
                    continue
                account_key = integration.account.key
                try:
                    api_key = self._sealer.open(integration.credential, account_key)
                except CredentialError:
                    report.unopenable.append(integration.rotation_id)
                    continue
                resealed = replace(integration, credential=self._sealer.seal(api_key, account_key))
                await uow.integrations.put(resealed)
                await integrations.reannounce(uow, await load(uow, integration.rotation_id), now)
                report.resealed.append(integration.rotation_id)
            await uow.commit()
        return report

    async def view(self, rotation_id: str) -> IntegrationView:
        async with self._uow() as uow:
            rotation = await uow.rotations.overview(rotation_id)
            if rotation is None:
                raise NotFound(f"rotation {rotation_id}")
            integration = await uow.integrations.get(rotation_id)
            if integration is None:
                raise NotFound(f"PagerDuty integration of rotation {rotation_id}")
            statuses = await uow.sync_status.for_rotation(rotation_id)
            emails = {email for status in statuses for email in status.waiting_for}
            provisioning = await uow.user_provisioning.for_emails(integration.account.key, emails)
            names = {email: member.name for email, member in rotation.members.items()}
            return IntegrationView(integration, statuses, awaited_people(statuses, provisioning, names))

    async def remove(self, rotation_id: str, actor: str) -> None:
        now = self._clock()
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id)
            require_admin(rotation, actor)
            if await uow.integrations.get(rotation_id) is None:
                raise NotFound(f"PagerDuty integration of rotation {rotation_id}")
            await integrations.remove_everywhere(uow, rotation_id, now)
            await uow.commit()

    async def merge_candidates(self, rotation_id: str) -> list[Rotation]:
        """Rotations with their own schedule whose coverage does not overlap this one's or its layers'."""
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id, for_update=False)
            candidates = []
            for integration in await uow.integrations.all():
                if integration.mode != "own" or integration.rotation_id == rotation_id:
                    continue
                target = await load(uow, integration.rotation_id, for_update=False)
                if not await merges.overlapping(uow, rotation.spec, rotation.id, target):
                    candidates.append(target)
            return candidates

    async def merges(self, target_rotation_id: str) -> list[tuple[Integration, Rotation]]:
        """The rotations merged into the target's PagerDuty schedule."""
        async with self._uow() as uow:
            await load(uow, target_rotation_id, for_update=False)
            return await merges.merged_rotations(uow, target_rotation_id)

    async def end_merge(self, target_rotation_id: str, actor: str, merged_rotation_id: str) -> None:
        """The target's administrators stop a rotation's layer in their schedule (IntegrationRemoved
        for the merged rotation: pd-sync ends its layer there)."""
        now = self._clock()
        async with self._uow() as uow:
            target = await load(uow, target_rotation_id)
            require_admin(target, actor)
            await uow.rotations.get(merged_rotation_id)  # lock it before changing its integration
            integration = await uow.integrations.get(merged_rotation_id)
            if (
                integration is None
                or integration.mode != "merge"
                or (integration.target_rotation_id != target_rotation_id)
            ):
                raise NotFound(f"merge of rotation {merged_rotation_id} into {target_rotation_id}")
            await integrations.remove(uow, merged_rotation_id, now)
            await uow.commit()

    async def _merge_target(self, uow: UnitOfWork, merge_with: str) -> tuple[Rotation, Integration]:
        target = await uow.rotations.get(merge_with, for_update=False)
        if target is None:
            raise InvalidInput("merge_with", f"no rotation {merge_with}")
        integration = await uow.integrations.get(merge_with)
        if integration is None:
            raise InvalidInput("merge_with", "that rotation does not sync to PagerDuty yet")
        if integration.mode != "own":
            raise InvalidInput(
                "merge_with",
                f"that rotation is merged into {integration.target_rotation_id}; merge with that one",
            )
        return target, integration

    async def _refuse_if_merged_elsewhere(self, uow: UnitOfWork, rotation_id: str, becoming: str) -> None:
        if becoming == "merge" and await uow.integrations.merged_into(rotation_id):
            raise InvalidInput("mode", "other rotations are merged into this rotation's schedule")

    async def _refuse_overlap(self, uow: UnitOfWork, rotation: Rotation, target: Rotation) -> None:
        if await merges.overlapping(uow, rotation.spec, rotation.id, target):
            raise InvalidInput(
                "merge_with",
                "coverage windows overlap with the target schedule's rotations; a merged "
                "rotation must cover a different part of the day",
            )
