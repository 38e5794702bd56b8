"""The rotation use cases on in-memory adapters: what they keep, what they publish, who may do what."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest
from rotation_fakes import FakeDatabase, FakePagerDutyKeys

from oncall_contracts.credentials import CredentialSealer, generate_key
from oncall_contracts.rotation import v1
from rotation_service.domain.errors import InvalidRotation
from rotation_service.domain.model import CoverageWindow, RotationSpec, Shift
from rotation_service.domain.rotation import Rotation
from rotation_service.service_layer.errors import Forbidden, InvalidInput, NotFound
from rotation_service.service_layer.integrations import OwnSchedule
from rotation_service.service_layer.pagerduty import PagerDutyService
from rotation_service.service_layer.rotations import RotationService

NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)
DAY = timedelta(days=1)
ADMIN = "admin@example.com"
WEEKLY = RotationSpec(
    time_zone="Europe/Paris",
    period=timedelta(weeks=1),
    first_shift_start=datetime(2030, 1, 7, 9),
    handoffs=(timedelta(0),),
    horizon_days=28,
)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def rotations(db: FakeDatabase) -> RotationService:
    return RotationService(db.unit_of_work, lambda: NOW)


def pagerduty_service(db: FakeDatabase) -> PagerDutyService:
    return PagerDutyService(
        db.unit_of_work, lambda: NOW, CredentialSealer({"k1": generate_key()}, "k1"), FakePagerDutyKeys()
    )


async def staffed(rotations: RotationService, *emails: str) -> Rotation:
    rotation = await rotations.create(ADMIN, "Payments", WEEKLY)
    for email in emails:
        await rotations.add_member(rotation.id, ADMIN, email, email.split("@")[0], "Europe/Paris")
    return await rotations.get(rotation.id)


async def test_create_keeps_the_rotation_with_its_creator_as_admin_and_publishes_it(
    db: FakeDatabase, rotations: RotationService
) -> None:
    created = await rotations.create("Admin@Example.com", "Payments", WEEKLY)

    kept = await rotations.get(created.id)
    assert (kept.name, kept.spec, kept.admins) == ("Payments", WEEKLY, {ADMIN})
    assert [type(p) for p in db.published()] == [v1.RotationCreated]
    assert db.published()[0].rotation_id == created.id


async def test_create_refuses_a_blank_name_and_keeps_nothing(
    db: FakeDatabase, rotations: RotationService
) -> None:
    with pytest.raises(InvalidRotation):
        await rotations.create(ADMIN, "  ", WEEKLY)
    assert db.committed.rotations == {}
    assert db.published() == []


async def test_only_an_admin_may_update_and_a_refused_update_changes_nothing(
    db: FakeDatabase, rotations: RotationService
) -> None:
    rotation = await rotations.create(ADMIN, "Payments", WEEKLY)
    published = len(db.published())

    with pytest.raises(Forbidden):
        await rotations.update(rotation.id, "someone@example.com", "Renamed", lambda spec: None)
    assert (await rotations.get(rotation.id)).name == "Payments"
    assert len(db.published()) == published

    await rotations.update(rotation.id, ADMIN, "Renamed", lambda spec: None)
    assert (await rotations.get(rotation.id)).name == "Renamed"
    assert isinstance(db.published()[-1], v1.RotationUpdated)


async def test_a_settings_change_reallocates_and_publishes_the_changed_shifts(
    db: FakeDatabase, rotations: RotationService
) -> None:
    rotation = await staffed(rotations, "ann@example.com", "bob@example.com")
    before = dict(rotation.shifts)

    daily = RotationSpec(**{**WEEKLY.__dict__, "period": timedelta(days=1)})
    await rotations.update(rotation.id, ADMIN, None, lambda spec: daily)

    after = (await rotations.get(rotation.id)).shifts
    assert after != before
    assert len(after) > len(before)
    changed = {sid for sid, shift in after.items() if before.get(sid) != shift}
    published = {p.shift_id for p in db.published() if isinstance(p, v1.ShiftChanged)}
    assert changed
    assert changed <= published


async def test_an_admin_may_swap_two_shifts_without_asking(
    db: FakeDatabase, rotations: RotationService
) -> None:
    rotation = await staffed(rotations, "ann@example.com", "bob@example.com")
    first, second = list(rotation.shifts.values())[1:3]
    assert {first.primary, second.primary} == {"ann@example.com", "bob@example.com"}
    with pytest.raises(Forbidden):  # a holder asks instead: ShiftRequestService.ask_swap
        await rotations.swap_shifts(rotation.id, str(first.primary), first.id, second.id)

    swapped = await rotations.swap_shifts(rotation.id, ADMIN, first.id, second.id)

    assert [s.primary for s in swapped] == [second.primary, first.primary]
    kept = (await rotations.get(rotation.id)).shifts
    assert (kept[first.id].primary, kept[second.id].primary) == (second.primary, first.primary)
    assert kept[first.id].pinned
    assert kept[second.id].pinned
    published = [p for p in db.published() if isinstance(p, v1.ShiftChanged)]
    assert {p.shift_id for p in published[-2:]} == {first.id, second.id}


async def test_someone_holding_neither_shift_may_not_swap(
    db: FakeDatabase, rotations: RotationService
) -> None:
    rotation = await staffed(rotations, "ann@example.com", "bob@example.com", "cat@example.com")
    shifts = list(rotation.shifts.values())
    first, second = next(
        (a, b) for a, b in itertools.pairwise(shifts[1:]) if "cat@example.com" not in _held(a, b)
    )
    commits = db.commits

    with pytest.raises(Forbidden):
        await rotations.swap_shifts(rotation.id, "cat@example.com", first.id, second.id)
    assert db.commits == commits


async def test_pages_follow_creation_order_and_say_where_the_next_starts(rotations: RotationService) -> None:
    created = [
        await rotations.create(ADMIN, f"R{i}", WEEKLY) for i in range(3)
    ]  # one instant: ids order them
    expected = sorted(r.id for r in created)

    first = await rotations.page(None, 2)
    assert [r.id for r in first.rotations] == expected[:2]
    assert first.next is not None
    last = await rotations.page(first.next, 2)
    assert [r.id for r in last.rotations] == expected[2:]
    assert last.next is None
    with pytest.raises(InvalidInput):
        await rotations.page(None, 0)


async def test_renaming_a_synced_rotation_announces_its_integration_again(
    db: FakeDatabase, rotations: RotationService
) -> None:
    rotation = await rotations.create(ADMIN, "Payments", WEEKLY)
    await pagerduty_service(db).configure_own(rotation.id, ADMIN, OwnSchedule("acme", "u+secret", "us"))

    await rotations.update(rotation.id, ADMIN, "Payments EU", lambda spec: None)

    announced = [p for p in db.published() if isinstance(p, v1.IntegrationConfigured)]
    assert [(p.rotation_name, p.revision) for p in announced] == [("Payments", 1), ("Payments EU", 2)]


async def test_deleting_a_rotation_stops_the_sync_of_the_rotations_merged_into_it(
    db: FakeDatabase, rotations: RotationService
) -> None:
    day = RotationSpec(**{**WEEKLY.__dict__, "coverage": _window(8, 20)})
    night = RotationSpec(**{**WEEKLY.__dict__, "coverage": _window(20, 8)})
    owner = await rotations.create(ADMIN, "Day", day)
    merged = await rotations.create(ADMIN, "Night", night)
    pagerduty = pagerduty_service(db)
    await pagerduty.configure_own(owner.id, ADMIN, OwnSchedule("acme", "u+secret", "us"))
    await pagerduty.configure_merge(merged.id, ADMIN, owner.id)

    await rotations.delete(owner.id, ADMIN)

    removed = {p.rotation_id for p in db.published() if isinstance(p, v1.IntegrationRemoved)}
    assert removed == {owner.id, merged.id}
    assert db.committed.integrations == {}
    with pytest.raises(NotFound):
        await rotations.get(owner.id)
    assert isinstance(db.published()[-1], v1.RotationDeleted)


def _window(start_hour: int, end_hour: int) -> CoverageWindow:
    return CoverageWindow(time(start_hour), time(end_hour))


def _held(*shifts: Shift) -> set[str | None]:
    return {person for shift in shifts for person in (shift.primary, shift.backup)}


async def test_only_an_admin_reassigns_a_shift_directly_and_the_result_is_pinned(
    db: FakeDatabase, rotations: RotationService
) -> None:
    rotation = await staffed(rotations, "ann@example.com", "bob@example.com", "cat@example.com")
    shift = next(s for s in list(rotation.shifts.values())[1:] if s.primary == "ann@example.com")

    for holder_or_not in ("bob@example.com", "Ann@Example.com"):  # holders ask: a hand-over request
        with pytest.raises(Forbidden):
            await rotations.reassign_shift(
                rotation.id, holder_or_not, shift.id, {"primary": "cat@example.com"}
            )
    handed = await rotations.reassign_shift(rotation.id, ADMIN, shift.id, {"primary": "Cat@Example.com"})

    assert (handed.primary, handed.pinned) == ("cat@example.com", True)
    assert (await rotations.get(rotation.id)).shifts[shift.id].primary == "cat@example.com"


async def test_members_mark_their_own_unavailability_and_admins_anyones(rotations: RotationService) -> None:
    rotation = await staffed(rotations, "ann@example.com", "bob@example.com")
    start = NOW + timedelta(days=14)

    await rotations.add_unavailability(rotation.id, "ann@example.com", "ann@example.com", start, start + DAY)
    with pytest.raises(Forbidden):
        await rotations.add_unavailability(
            rotation.id, "ann@example.com", "bob@example.com", start, start + DAY
        )
    await rotations.add_unavailability(rotation.id, ADMIN, "bob@example.com", start + DAY, start + 2 * DAY)

    members = (await rotations.get(rotation.id)).members
    assert [len(members[email].unavailable) for email in ("ann@example.com", "bob@example.com")] == [1, 1]


async def test_rolling_horizons_saves_only_the_rotations_that_changed(db: FakeDatabase) -> None:
    now = [NOW]
    rotations = RotationService(db.unit_of_work, lambda: now[0])
    await staffed(rotations, "ann@example.com", "bob@example.com")
    assert await rotations.roll_horizons() == 0  # laid out to the horizon at creation
    commits = db.commits

    now[0] = NOW + timedelta(weeks=2)
    assert await rotations.roll_horizons() == 1
    assert db.commits == commits + 1


async def test_a_rotation_created_after_its_first_shift_began_assigns_that_shift_to_its_members(
    db: FakeDatabase,
) -> None:
    later = NOW + 2 * DAY  # the first shift (Monday 09:00 Paris) is two days old
    rotations = RotationService(db.unit_of_work, lambda: later)
    rotation = await rotations.create(ADMIN, "Payments", WEEKLY)
    await rotations.add_member(rotation.id, ADMIN, "ada@example.com", "Ada", "Europe/Paris")

    current = next(s for s in (await rotations.get(rotation.id)).shifts.values() if s.start <= later < s.end)

    assert current.primary == "ada@example.com"
    assert not current.conflict
    changed = [p for p in db.published() if isinstance(p, v1.ShiftChanged) and p.shift_id == current.id]
    assert [p.primary for p in changed] == ["ada@example.com"]  # so PagerDuty shows her on call now
