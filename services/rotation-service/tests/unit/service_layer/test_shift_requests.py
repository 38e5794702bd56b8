"""Shift requests on in-memory adapters: nothing changes hands until the person asked accepts."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from rotation_fakes import FakeDatabase

from oncall_contracts.rotation import v1
from oncall_testing.clock import FakeClock
from rotation_service.domain.errors import NotYours, RequestClosed
from rotation_service.domain.model import RotationSpec
from rotation_service.domain.rotation import Rotation
from rotation_service.service_layer.errors import Forbidden, InvalidInput
from rotation_service.service_layer.rotations import RotationService
from rotation_service.service_layer.shift_requests import ShiftRequestService

NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)
ADMIN = "admin@example.com"
ANN, BOB, CAT = "ann@example.com", "bob@example.com", "cat@example.com"
DAILY_WITH_BACKUP = RotationSpec(
    time_zone="UTC",
    period=timedelta(days=1),
    first_shift_start=datetime(2030, 1, 7, 9),
    handoffs=(timedelta(0),),
    backup=True,
    horizon_days=28,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def rotations(db: FakeDatabase, clock: FakeClock) -> RotationService:
    return RotationService(db.unit_of_work, clock)


@pytest.fixture
def requests(db: FakeDatabase, clock: FakeClock) -> ShiftRequestService:
    return ShiftRequestService(db.unit_of_work, clock)


@pytest.fixture
async def rotation(rotations: RotationService) -> Rotation:
    created = await rotations.create(ADMIN, "Payments", DAILY_WITH_BACKUP)
    for email in (ANN, BOB, CAT):
        await rotations.add_member(created.id, ADMIN, email, email.split("@")[0], "UTC")
    return await rotations.get(created.id)


def _future(rotation: Rotation, primary: str) -> list:  # type: ignore[type-arg]
    return [s for s in rotation.shifts.values() if s.start > NOW + timedelta(days=1) and s.primary == primary]


async def test_the_backup_of_a_shift_cannot_reassign_its_primary(
    rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    """What was tried: the backup of a shift reassigned its primary to a third member (200)."""
    shift = next(s for s in rotation.shifts.values() if s.start > NOW and s.primary and s.backup)
    third = ({ANN, BOB, CAT} - {shift.primary, shift.backup}).pop()

    with pytest.raises(Forbidden):
        await rotations.reassign_shift(rotation.id, str(shift.backup), shift.id, {"primary": third})
    with pytest.raises(NotYours):
        await requests.ask_hand_over(rotation.id, str(shift.backup), shift.id, "primary", third)
    assert (await rotations.get(rotation.id)).shifts[shift.id] == shift


async def test_a_hand_over_changes_nothing_until_the_person_asked_accepts(
    db: FakeDatabase, rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    shift = next(s for s in _future(rotation, ANN) if s.backup != CAT)
    before = len(db.published())

    asked = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)

    assert (await rotations.get(rotation.id)).shifts[shift.id].primary == ANN
    [requested] = db.published()[before:]
    assert isinstance(requested, v1.ShiftRequested)
    assert (requested.requested_by, requested.requested_of, requested.kind) == (ANN, CAT, "hand_over")
    assert [r.id for r in await requests.pending(rotation.id, ANN)] == [asked.id]
    assert [r.id for r in await requests.pending(rotation.id, CAT)] == [asked.id]
    assert await requests.pending(rotation.id, BOB) == []
    with pytest.raises(NotYours):
        await requests.accept(rotation.id, asked.id, BOB)
    with pytest.raises(NotYours):
        await requests.accept(rotation.id, asked.id, ANN)

    accepted = await requests.accept(rotation.id, asked.id, CAT)

    assert (accepted.state, accepted.decided_by, accepted.forced) == ("accepted", CAT, False)
    kept = (await rotations.get(rotation.id)).shifts[shift.id]
    assert (kept.primary, kept.pinned) == (CAT, True)
    published = db.published()[before + 1 :]
    assert isinstance(published[0], v1.ShiftRequestAccepted)
    assert any(
        isinstance(p, v1.ShiftChanged) and p.shift_id == shift.id and p.primary == CAT for p in published
    )
    with pytest.raises(RequestClosed):
        await requests.accept(rotation.id, asked.id, CAT)
    assert await requests.pending(rotation.id, CAT) == []


async def test_a_swap_exchanges_one_role_once_the_other_holder_accepts(
    db: FakeDatabase, rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    mine, theirs = next(
        (a, b)
        for a, b in itertools.product(_future(rotation, ANN), _future(rotation, BOB))
        if a.backup != BOB and b.backup != ANN
    )

    asked = await requests.ask_swap(rotation.id, ANN, mine.id, "primary", theirs.id)

    assert asked.requested_of == BOB
    assert (await rotations.get(rotation.id)).shifts[mine.id].primary == ANN
    await requests.accept(rotation.id, asked.id, BOB)
    kept = (await rotations.get(rotation.id)).shifts
    assert (kept[mine.id].primary, kept[theirs.id].primary) == (BOB, ANN)
    assert (kept[mine.id].backup, kept[theirs.id].backup) == (mine.backup, theirs.backup)


async def test_declined_or_withdrawn_requests_change_nothing(
    db: FakeDatabase, rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    shift = next(s for s in _future(rotation, ANN) if s.backup != CAT)
    declined = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)
    with pytest.raises(NotYours):
        await requests.decline(rotation.id, declined.id, BOB)
    assert (await requests.decline(rotation.id, declined.id, CAT)).state == "declined"
    withdrawn = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)
    with pytest.raises(NotYours):
        await requests.cancel(rotation.id, withdrawn.id, CAT)
    assert (await requests.cancel(rotation.id, withdrawn.id, ANN)).state == "cancelled"

    assert (await rotations.get(rotation.id)).shifts[shift.id] == shift
    kinds = [type(p) for p in db.published() if "Request" in type(p).__name__]
    assert kinds == [v1.ShiftRequested, v1.ShiftRequestDeclined, v1.ShiftRequested, v1.ShiftRequestCancelled]


async def test_an_admin_may_force_a_request_and_sees_every_one(
    rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    shift = next(s for s in _future(rotation, ANN) if s.backup != CAT)
    asked = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)

    assert [r.id for r in await requests.pending(rotation.id, ADMIN)] == [asked.id]
    forced = await requests.accept(rotation.id, asked.id, ADMIN)

    assert (forced.state, forced.decided_by, forced.forced) == ("accepted", ADMIN, True)
    assert (await rotations.get(rotation.id)).shifts[shift.id].primary == CAT


async def test_a_request_expires_unanswered_and_can_no_longer_be_accepted(
    db: FakeDatabase,
    clock: FakeClock,
    rotation: Rotation,
    rotations: RotationService,
    requests: ShiftRequestService,
) -> None:
    shift = next(s for s in _future(rotation, ANN) if s.backup != CAT)
    asked = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)
    assert asked.expires_at == min(NOW + timedelta(days=7), shift.start)
    assert await requests.expire_due() == 0

    clock.set(asked.expires_at)

    with pytest.raises(RequestClosed, match="expired"):
        await requests.accept(rotation.id, asked.id, CAT)
    assert await requests.pending(rotation.id, CAT) == []
    assert await requests.expire_due() == 1
    assert isinstance(db.published()[-1], v1.ShiftRequestExpired)
    assert await requests.expire_due() == 0
    assert (await rotations.get(rotation.id)).shifts[shift.id].primary == ANN


def _outdated(db: FakeDatabase) -> list[v1.ShiftRequestOutdated]:
    return [p for p in db.published() if isinstance(p, v1.ShiftRequestOutdated)]


async def test_a_request_whose_shift_an_admin_reassigns_is_cancelled_with_an_event(
    db: FakeDatabase, rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    shift = next(s for s in _future(rotation, ANN) if s.backup == BOB)
    asked = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)
    await rotations.reassign_shift(rotation.id, ADMIN, shift.id, {"primary": BOB, "backup": ANN})

    [event] = _outdated(db)
    assert (event.request_id, event.reason, event.changed_by) == (asked.id, "shift_changed_hands", ADMIN)
    assert await requests.pending(rotation.id, ANN) == []
    assert await requests.pending(rotation.id, CAT) == []
    with pytest.raises(RequestClosed, match="cancelled"):
        await requests.accept(rotation.id, asked.id, CAT)
    assert (await rotations.get(rotation.id)).shifts[shift.id].primary == BOB


async def test_a_request_of_a_member_who_left_is_cancelled_with_an_event(
    db: FakeDatabase, rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    shift = next(s for s in _future(rotation, ANN) if s.backup != CAT)
    asked = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)

    await rotations.remove_member(rotation.id, ADMIN, CAT)

    [event] = _outdated(db)
    assert (event.request_id, event.reason, event.requested_of) == (asked.id, "member_left", CAT)
    assert await requests.pending(rotation.id, ANN) == []


async def test_a_request_whose_shift_a_settings_change_removed_is_cancelled_with_an_event(
    db: FakeDatabase, rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    shift = next(s for s in _future(rotation, ANN) if s.backup != CAT)
    asked = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)

    await rotations.update(
        rotation.id, ADMIN, None, lambda spec: replace(spec, handoffs=(timedelta(hours=3),))
    )

    assert shift.id not in (await rotations.get(rotation.id)).shifts
    [event] = _outdated(db)
    assert (event.request_id, event.reason, event.changed_by) == (asked.id, "shift_removed", ADMIN)


async def test_accepting_one_request_cancels_the_others_about_the_same_shift(
    db: FakeDatabase, rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    dan = "dan@example.com"
    await rotations.add_member(rotation.id, ADMIN, dan, "dan", "UTC")
    rotation = await rotations.get(rotation.id)
    shift = next(s for s in _future(rotation, ANN) if s.backup not in (BOB, CAT))
    to_bob = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", BOB)
    to_cat = await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)
    unrelated = next(s for s in _future(rotation, ANN) if s.id != shift.id and s.backup != CAT)
    kept = await requests.ask_hand_over(rotation.id, ANN, unrelated.id, "primary", CAT)

    await requests.accept(rotation.id, to_bob.id, BOB)

    [event] = _outdated(db)
    assert (event.request_id, event.reason, event.changed_by) == (to_cat.id, "shift_changed_hands", BOB)
    assert [r.id for r in await requests.pending(rotation.id, CAT)] == [kept.id]


async def test_one_person_has_a_bounded_number_of_open_requests(
    rotation: Rotation, requests: ShiftRequestService
) -> None:
    from oncall_contracts import limits

    shift = next(s for s in _future(rotation, ANN) if s.backup != CAT)
    for _ in range(limits.OPEN_SHIFT_REQUESTS_PER_PERSON):
        await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)

    with pytest.raises(InvalidInput):
        await requests.ask_hand_over(rotation.id, ANN, shift.id, "primary", CAT)


async def test_a_person_lists_their_open_requests_of_every_rotation_both_ways(
    rotation: Rotation, rotations: RotationService, requests: ShiftRequestService
) -> None:
    other = await rotations.create(ADMIN, "Search", DAILY_WITH_BACKUP)
    for email in (ANN, BOB, CAT):
        await rotations.add_member(other.id, ADMIN, email, email.split("@")[0], "UTC")
    other = await rotations.get(other.id)
    here = next(s for s in _future(rotation, ANN) if s.backup != CAT)
    there = next(s for s in _future(other, CAT) if s.backup != ANN)
    made = await requests.ask_hand_over(rotation.id, ANN, here.id, "primary", CAT)
    asked = await requests.ask_hand_over(other.id, CAT, there.id, "primary", ANN)
    declined = await requests.ask_hand_over(rotation.id, ANN, here.id, "primary", CAT)
    await requests.decline(rotation.id, declined.id, CAT)

    assert {(r.id, r.rotation_id) for r in await requests.mine(ANN)} == {
        (made.id, rotation.id),
        (asked.id, other.id),
    }
    assert {r.id for r in await requests.mine(CAT)} == {made.id, asked.id}
    assert await requests.mine(BOB) == []
