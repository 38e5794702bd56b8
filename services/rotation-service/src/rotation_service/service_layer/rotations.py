"""Use cases on rotations: load the aggregate, run one command, save it and its events in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from oncall_platform.clock import Clock
from rotation_service.domain.errors import InvalidRotation
from rotation_service.domain.listing import ListingPosition, RotationOverview
from rotation_service.domain.model import Interval, Member, RotationSpec, Shift
from rotation_service.domain.rotation import Rotation
from rotation_service.service_layer import integrations, merges
from rotation_service.service_layer.errors import Forbidden, InvalidInput, NotFound
from rotation_service.service_layer.event_mapping import domain_envelopes
from rotation_service.service_layer.outdated_requests import cancel_outdated
from rotation_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory

T = TypeVar("T")
Command = Callable[[Rotation, datetime], T]


@dataclass(frozen=True)
class RotationPage:
    rotations: Sequence[RotationOverview]
    next: ListingPosition | None  # where the next page starts; None on the last page


def require_admin(rotation: Rotation, actor: str) -> None:
    if actor.lower() not in {a.lower() for a in rotation.admins}:
        raise Forbidden(f"{actor} is not an administrator of rotation {rotation.id}")


async def load(uow: UnitOfWork, rotation_id: str, *, for_update: bool = True) -> Rotation:
    rotation = await uow.rotations.get(rotation_id, for_update=for_update)
    if rotation is None:
        raise NotFound(f"rotation {rotation_id}")
    return rotation


async def record(uow: UnitOfWork, rotation: Rotation, now: datetime) -> None:
    """Queues the aggregate's new events in the outbox (same transaction) and clears them."""
    uow.outbox.add_all(domain_envelopes(rotation.events, now, uuid.uuid4()))
    rotation.events.clear()


class RotationService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    async def create(self, actor: str, name: str, spec: RotationSpec) -> Rotation:
        now = self._clock()
        if not name.strip():
            raise InvalidRotation("name", "must not be empty")
        async with self._uow() as uow:
            rotation = Rotation.create(str(uuid.uuid4()), name, spec, actor.lower(), now)
            await uow.rotations.add(rotation, now)
            await record(uow, rotation, now)
            await uow.commit()
        return rotation

    async def get(self, rotation_id: str) -> Rotation:
        async with self._uow() as uow:
            return await load(uow, rotation_id, for_update=False)

    async def overview(self, rotation_id: str) -> RotationOverview:
        """Settings, members and administrators, without reading the shifts."""
        async with self._uow() as uow:
            found = await uow.rotations.overview(rotation_id)
        if found is None:
            raise NotFound(f"rotation {rotation_id}")
        return found

    async def plan(
        self, rotation_id: str, since: datetime | None, until: datetime | None
    ) -> tuple[RotationOverview, list[Shift]]:
        """The rotation and its shifts overlapping `[since, until)` (unbounded where None), in time
        order; only those shifts are read."""
        async with self._uow() as uow:
            found = await uow.rotations.overview(rotation_id)
            if found is None:
                raise NotFound(f"rotation {rotation_id}")
            return found, await uow.rotations.shifts_between(rotation_id, since, until)

    async def page(self, after: ListingPosition | None, limit: int) -> RotationPage:
        """Up to `limit` (at least 1) rotations after `after` in listing order, and where the next
        page starts; one page at a time, so listing costs the same whatever the number of rotations."""
        if limit < 1:
            raise InvalidInput("limit", "must be at least 1")
        async with self._uow() as uow:
            listed = await uow.rotations.page(after, limit + 1)  # one more: is there a next page?
        shown = listed[:limit]
        return RotationPage(shown, shown[-1].position if len(listed) > limit else None)

    async def change(
        self, rotation_id: str, actor: str, command: Command[T], *, admin_only: bool = True
    ) -> T:
        """Runs `command(rotation, now)` as `actor`, then persists the rotation and its events."""
        now = self._clock()
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id)
            if admin_only:
                require_admin(rotation, actor)
            before, spec_before = integrations.synced_settings(rotation), rotation.spec
            result = command(rotation, now)
            if rotation.spec != spec_before:
                await merges.check_settings_change(uow, rotation, actor)
            await uow.rotations.save(rotation)
            await record(uow, rotation, now)
            await cancel_outdated(uow, rotation, actor.lower(), now)
            if integrations.synced_settings(rotation) != before:
                await integrations.reannounce(uow, rotation, now)
            await uow.commit()
        return result

    async def update(
        self,
        rotation_id: str,
        actor: str,
        name: str | None,
        new_spec: Callable[[RotationSpec], RotationSpec | None],
    ) -> Rotation:
        """`new_spec(current)` gives the new settings (None: unchanged), read under the rotation's lock."""

        def update(rotation: Rotation, now: datetime) -> Rotation:
            rotation.update(now, name=name, spec=new_spec(rotation.spec))
            return rotation

        return await self.change(rotation_id, actor, update)

    async def delete(self, rotation_id: str, actor: str) -> None:
        now = self._clock()
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id)
            require_admin(rotation, actor)
            await integrations.remove_everywhere(uow, rotation_id, now)
            # Also the statuses left without an integration (a role no longer synced, older versions).
            await uow.sync_status.clear(rotation_id)
            rotation.delete(now)
            await record(uow, rotation, now)
            await uow.rotations.remove(rotation_id)
            await uow.commit()

    async def add_member(self, rotation_id: str, actor: str, email: str, name: str, time_zone: str) -> Member:
        def add(rotation: Rotation, now: datetime) -> Member:
            member = Member(email.strip().lower(), name.strip(), time_zone, joined_at=now)
            member.validate()
            rotation.add_member(member, now)
            return rotation.members[member.email]

        return await self.change(rotation_id, actor, add)

    async def remove_member(self, rotation_id: str, actor: str, email: str) -> None:
        await self.change(
            rotation_id, actor, lambda rotation, now: rotation.remove_member(email.lower(), now)
        )

    async def add_unavailability(
        self, rotation_id: str, actor: str, email: str, start: datetime, end: datetime
    ) -> Member:
        """Members may mark their own unavailability; administrators anyone's."""

        def add(rotation: Rotation, now: datetime) -> Member:
            if actor.lower() != email.lower():
                require_admin(rotation, actor)
            rotation.add_unavailability(email.lower(), Interval(start, end), now)
            return rotation.members[email.lower()]

        return await self.change(rotation_id, actor, add, admin_only=False)

    async def set_admins(self, rotation_id: str, actor: str, emails: list[str]) -> set[str]:
        def set_admins(rotation: Rotation, now: datetime) -> set[str]:
            rotation.set_admins([e.strip().lower() for e in emails], now)
            return set(rotation.admins)

        return await self.change(rotation_id, actor, set_admins)

    async def reassign_shift(
        self, rotation_id: str, actor: str, shift_id: str, changes: dict[str, str | None]
    ) -> Shift:
        """Administrators hand-assign a shift (forcing it); holders ask instead (ShiftRequestService)."""

        def reassign(rotation: Rotation, now: datetime) -> Shift:
            primary, backup = changes.get("primary"), changes.get("backup")
            rotation.reassign_shift(
                shift_id,
                now,
                primary=primary.lower() if primary else None,
                backup=backup.lower() if backup else None,
            )
            return rotation.shifts[shift_id]

        return await self.change(rotation_id, actor, reassign)

    async def swap_shifts(
        self, rotation_id: str, actor: str, shift_id: str, other_shift_id: str
    ) -> list[Shift]:
        """Administrators swap the people of two future shifts (forcing it); holders ask instead."""

        def swap(rotation: Rotation, now: datetime) -> list[Shift]:
            rotation.swap_shifts(shift_id, other_shift_id, now)
            return [rotation.shifts[shift_id], rotation.shifts[other_shift_id]]

        return await self.change(rotation_id, actor, swap)

    async def roll_horizons(self) -> int:
        """Extends every rotation's allocation to its horizon; returns how many rotations changed."""
        async with self._uow() as uow:
            ids = [s.id for s in await uow.rotations.list()]
        changed = 0
        for rotation_id in ids:
            changed += await self._roll_one(rotation_id)
        return changed

    async def _roll_one(self, rotation_id: str) -> int:
        now = self._clock()
        async with self._uow() as uow:
            rotation = await uow.rotations.get(rotation_id)
            if rotation is None:
                return 0
            rotation.roll_horizon(now)
            if not rotation.events:
                return 0
            await uow.rotations.save(rotation)
            await record(uow, rotation, now)
            await cancel_outdated(uow, rotation, None, now)
            await uow.commit()
        return 1
