"""Use cases of shift requests: ask for a hand-over or a swap, list, accept, decline, withdraw, expire.

Each step is one transaction: the request, its event and (on accept) the rotation's new shifts and
their ShiftChanged events commit together, so PagerDuty changes only once a request is accepted.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from oncall_contracts import limits
from oncall_platform.clock import Clock
from rotation_service.domain import shift_requests as requests
from rotation_service.domain.model import Role
from rotation_service.domain.rotation import Rotation
from rotation_service.domain.shift_requests import ShiftRequest
from rotation_service.service_layer.errors import InvalidInput, NotFound
from rotation_service.service_layer.event_mapping import envelopes, request_payload
from rotation_service.service_layer.merges import is_admin
from rotation_service.service_layer.outdated_requests import cancel_outdated
from rotation_service.service_layer.rotations import load, record
from rotation_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory

EXPIRY_BATCH = 100
MINE_LIMIT = 200
"""The most requests one listing of a person's own requests returns (the oldest first)."""


def _announce(uow: UnitOfWork, request: ShiftRequest, now: datetime) -> None:
    uow.outbox.add_all(envelopes([request_payload(request)], now, uuid.uuid4()))


class ShiftRequestService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    async def ask_hand_over(
        self, rotation_id: str, actor: str, shift_id: str, role: Role, to: str
    ) -> ShiftRequest:
        """`actor`, holding `role` of the shift, asks `to` to take it."""
        return await self._ask(
            rotation_id,
            actor,
            lambda rotation, request_id, now: requests.ask_hand_over(
                rotation, request_id, shift_id, role, actor.lower(), to.strip().lower(), now
            ),
        )

    async def ask_swap(
        self, rotation_id: str, actor: str, shift_id: str, role: Role, with_shift_id: str
    ) -> ShiftRequest:
        """`actor`, holding `role` of the shift, asks whoever holds it in the other shift to swap."""
        return await self._ask(
            rotation_id,
            actor,
            lambda rotation, request_id, now: requests.ask_swap(
                rotation, request_id, shift_id, role, actor.lower(), with_shift_id, now
            ),
        )

    async def _ask(self, rotation_id: str, actor: str, make: requests.Asking) -> ShiftRequest:
        now = self._clock()
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id)  # locked: requests of one rotation serialise
            open_ones = [
                r
                for r in await uow.shift_requests.pending(rotation_id, involving=actor.lower())
                if r.requested_by == actor.lower() and r.is_open(now)
            ]
            if len(open_ones) >= limits.OPEN_SHIFT_REQUESTS_PER_PERSON:
                raise InvalidInput(
                    "shift_id",
                    f"{actor} has {len(open_ones)} open requests in this rotation, the most one may have; "
                    "withdraw one or wait for answers",
                )
            request = make(rotation, str(uuid.uuid4()), now)
            await uow.shift_requests.put(request)
            _announce(uow, request, now)
            await uow.commit()
        return request

    async def pending(self, rotation_id: str, actor: str) -> list[ShiftRequest]:
        """The open requests `actor` made or is asked; an administrator sees all of the rotation's."""
        now = self._clock()
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id, for_update=False)
            involving = None if is_admin(rotation, actor) else actor.lower()
            listed = await uow.shift_requests.pending(rotation_id, involving=involving)
        return [request for request in listed if request.is_open(now)]

    async def mine(self, actor: str) -> list[ShiftRequest]:
        """The open requests `actor` made or is asked, in every rotation, oldest first (at most
        MINE_LIMIT)."""
        now = self._clock()
        async with self._uow() as uow:
            listed = await uow.shift_requests.pending_involving(actor.lower(), MINE_LIMIT)
        return [request for request in listed if request.is_open(now)]

    async def accept(self, rotation_id: str, request_id: str, actor: str) -> ShiftRequest:
        """The person asked accepts (an administrator may, for them): the shifts change hands."""
        now = self._clock()
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id)
            request = await self._request(uow, rotation, request_id)
            decided = requests.accept(
                request, rotation, actor.lower(), now, as_admin=is_admin(rotation, actor)
            )
            await uow.shift_requests.put(decided)
            _announce(uow, decided, now)
            await uow.rotations.save(rotation)
            await record(uow, rotation, now)  # the ShiftChanged events follow the acceptance
            await cancel_outdated(uow, rotation, actor.lower(), now)  # others asking about these shifts
            await uow.commit()
        return decided

    async def decline(self, rotation_id: str, request_id: str, actor: str) -> ShiftRequest:
        return await self._close(rotation_id, request_id, actor, requests.decline)

    async def cancel(self, rotation_id: str, request_id: str, actor: str) -> ShiftRequest:
        return await self._close(rotation_id, request_id, actor, requests.cancel)

    async def _close(
        self, rotation_id: str, request_id: str, actor: str, step: requests.Closing
    ) -> ShiftRequest:
        now = self._clock()
        async with self._uow() as uow:
            rotation = await load(uow, rotation_id)
            request = await self._request(uow, rotation, request_id)
            decided = step(request, actor.lower(), now, as_admin=is_admin(rotation, actor))
            await uow.shift_requests.put(decided)
            _announce(uow, decided, now)
            await uow.commit()
        return decided

    async def expire_due(self) -> int:
        """Marks the requests past their expiry as expired (ShiftRequestExpired); returns how many."""
        now = self._clock()
        async with self._uow() as uow:
            expired = [
                e
                for e in (requests.expire(r, now) for r in await uow.shift_requests.due(now, EXPIRY_BATCH))
                if e
            ]
            for request in expired:
                await uow.shift_requests.put(request)
                _announce(uow, request, now)
            await uow.commit()
        return len(expired)

    async def _request(self, uow: UnitOfWork, rotation: Rotation, request_id: str) -> ShiftRequest:
        request = await uow.shift_requests.get(request_id)
        if request is None or request.rotation_id != rotation.id:
            raise NotFound(f"shift request {request_id} of rotation {rotation.id}")
        return request
