"""The rules of a shared PagerDuty schedule: the rotations merged into a target's schedule cover
different parts of the day, and the target's administrators agree to every layer written into it.

The target's admins agree when a rotation merges; every later change of a merged rotation's
settings (which changes its layers) needs them again, and no change on either side may make the
layers overlap (the last layer wins in PagerDuty, so an overlap overrides the other team's people).
"""

from __future__ import annotations

from rotation_service.domain.integration import Integration
from rotation_service.domain.model import RotationSpec
from rotation_service.domain.rotation import Rotation
from rotation_service.service_layer.coverage_overlap import coverage_overlaps
from rotation_service.service_layer.errors import Conflict
from rotation_service.service_layer.unit_of_work import UnitOfWork


def is_admin(rotation: Rotation, actor: str) -> bool:
    return actor.lower() in {admin.lower() for admin in rotation.admins}


async def merged_rotations(uow: UnitOfWork, target_rotation_id: str) -> list[tuple[Integration, Rotation]]:
    """The rotations merged into the target's schedule, with their merge settings."""
    merged = []
    for integration in await uow.integrations.merged_into(target_rotation_id):
        rotation = await uow.rotations.get(integration.rotation_id, for_update=False)
        if rotation is not None:
            merged.append((integration, rotation))
    return merged


async def overlapping(uow: UnitOfWork, spec: RotationSpec, rotation_id: str, target: Rotation) -> bool:
    """Whether `spec` (of `rotation_id`) overlaps the target's coverage or another merged layer's."""
    layers = [target.spec] if target.id != rotation_id else []
    for _, other in await merged_rotations(uow, target.id):
        if other.id != rotation_id:
            layers.append(other.spec)
    return any(coverage_overlaps(spec, layer) for layer in layers)


async def check_settings_change(uow: UnitOfWork, rotation: Rotation, actor: str) -> None:
    """Raise Conflict when `rotation`'s new settings break its shared schedule's rules."""
    integration = await uow.integrations.get(rotation.id)
    if integration is None:
        return
    if integration.mode == "own":
        if await overlapping(uow, rotation.spec, rotation.id, rotation):
            raise Conflict(
                "the new coverage overlaps a rotation merged into this rotation's PagerDuty schedule; "
                "end that merge first or keep to a different part of the day"
            )
        return
    target = await uow.rotations.get(integration.target_rotation_id, for_update=False)
    if target is None:
        return
    if not is_admin(target, actor):
        raise Conflict(
            f"this rotation is merged into the PagerDuty schedule of {target.name!r}; a change of its "
            "settings changes that schedule, so it needs one of that rotation's administrators "
            f"({', '.join(target.sorted_admins)}), or the merge ended first"
        )
    if await overlapping(uow, rotation.spec, rotation.id, target):
        raise Conflict(
            f"the new coverage overlaps {target.name!r} or another rotation merged into its PagerDuty "
            "schedule; a merged rotation must cover a different part of the day"
        )
