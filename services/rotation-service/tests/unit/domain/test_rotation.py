from datetime import UTC, datetime, timedelta

import pytest

from rotation_service.domain.errors import (
    DuplicateMember,
    InvalidRotation,
    NotAllowed,
    UnknownMember,
    UnknownShift,
)
from rotation_service.domain.events import (
    MemberAdded,
    MemberRemoved,
    RotationCreated,
    RotationDeleted,
    RotationUpdated,
    ShiftAssignmentChanged,
    UnavailabilityAdded,
)
from rotation_service.domain.model import Interval, Member, RotationSpec
from rotation_service.domain.rotation import Rotation

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WEEK = timedelta(days=7)


def spec(backup: bool = False) -> RotationSpec:
    return RotationSpec("Europe/London", WEEK, datetime(2026, 1, 5, 9), (timedelta(0),), None, backup, 56)


def member(name: str) -> Member:
    return Member(f"{name}@x.io", name.title(), "Europe/London", NOW)


def rotation_with(*names: str, backup: bool = False) -> Rotation:
    rotation = Rotation.create("r1", "Platform", spec(backup), "admin@x.io", NOW)
    for name in names:
        rotation.add_member(member(name), NOW)
    rotation.events.clear()
    return rotation


def shift_events(rotation: Rotation) -> list[ShiftAssignmentChanged]:
    return [e for e in rotation.events if isinstance(e, ShiftAssignmentChanged)]


def test_create_makes_the_creator_admin_and_lays_out_empty_shifts():
    rotation = Rotation.create("r1", "  Platform ", spec(), "admin@x.io", NOW)
    assert rotation.name == "Platform"
    assert rotation.admins == {"admin@x.io"}
    assert len(rotation.shifts) == 8
    assert all(s.primary is None for s in rotation.shifts.values())
    assert rotation.events == [RotationCreated("r1", "Platform", spec(), ("admin@x.io",))]
    assert rotation.shift_revision == 0


def test_create_rejects_invalid_settings_and_names():
    with pytest.raises(InvalidRotation) as raised:
        Rotation.create(
            "r1", "x", RotationSpec("Nowhere", WEEK, datetime(2026, 1, 5), (timedelta(0),)), "a@x.io", NOW
        )
    assert raised.value.field == "time_zone"
    with pytest.raises(InvalidRotation) as raised:
        Rotation.create("r1", " ", spec(), "a@x.io", NOW)
    assert raised.value.field == "name"


def test_adding_a_member_assigns_shifts_and_records_one_event_per_changed_shift():
    rotation = rotation_with()
    rotation.add_member(member("a"), NOW)
    assert isinstance(rotation.events[0], MemberAdded)
    changes = shift_events(rotation)
    assert len(changes) == 8
    assert {e.revision for e in changes} == {1}
    assert all(e.shift.primary == "a@x.io" and not e.cancelled for e in changes)
    rotation.events.clear()
    rotation.add_member(member("b"), NOW)
    changes = shift_events(rotation)
    assert len(changes) == 4
    assert {e.revision for e in changes} == {2}
    assert all(e.shift.primary == "b@x.io" for e in changes)
    assert rotation.shift_revision == 2


def test_duplicate_and_unknown_members_are_refused():
    rotation = rotation_with("a")
    with pytest.raises(DuplicateMember):
        rotation.add_member(member("a"), NOW)
    with pytest.raises(UnknownMember):
        rotation.remove_member("zz@x.io", NOW)
    with pytest.raises(UnknownMember):
        rotation.add_unavailability("zz@x.io", Interval(NOW, NOW + WEEK), NOW)


def test_removing_a_member_reassigns_only_their_shifts():
    rotation = rotation_with("a", "b", "c")
    held = {s.id for s in rotation.shifts.values() if s.primary == "b@x.io"}
    rotation.remove_member("b@x.io", NOW)
    assert rotation.events[0] == MemberRemoved("r1", "b@x.io")
    assert {e.shift.id for e in shift_events(rotation)} == held
    assert all(s.primary != "b@x.io" for s in rotation.shifts.values())


def test_unavailability_moves_the_covered_shift():
    rotation = rotation_with("a", "b")
    first = next(iter(rotation.shifts.values()))
    away = Interval(first.start, first.start + timedelta(days=1))
    rotation.add_unavailability(first.primary or "", away, NOW)
    assert isinstance(rotation.events[0], UnavailabilityAdded)
    assert [e.shift.id for e in shift_events(rotation)] == [first.id]
    assert rotation.shifts[first.id].primary not in (None, first.primary)


def test_reassigning_a_shift_pins_it_and_reallocation_keeps_it():
    rotation = rotation_with("a", "b", "c")
    target = next(s for s in rotation.shifts.values() if s.primary == "a@x.io" and s.start > NOW + WEEK)
    rotation.reassign_shift(target.id, NOW, primary="c@x.io")
    assert rotation.shifts[target.id].primary == "c@x.io"
    assert rotation.shifts[target.id].pinned
    assert [e.shift.id for e in shift_events(rotation)] == [target.id]
    rotation.add_member(member("d"), NOW)
    assert rotation.shifts[target.id].primary == "c@x.io"


def test_reassignment_rules():
    rotation = rotation_with("a", "b", backup=True)
    started = next(iter(rotation.shifts.values()))
    later = started.start + timedelta(hours=1)
    with pytest.raises(NotAllowed):
        rotation.reassign_shift(started.id, later, primary="a@x.io")
    future = list(rotation.shifts.values())[3]
    with pytest.raises(UnknownShift):
        rotation.reassign_shift("1999-01-01T00:00", NOW, primary="a@x.io")
    with pytest.raises(UnknownMember):
        rotation.reassign_shift(future.id, NOW, primary="zz@x.io")
    with pytest.raises(NotAllowed):
        rotation.reassign_shift(future.id, NOW, primary=future.backup)
    rotation.reassign_shift(future.id, NOW, primary=future.backup, backup=future.primary)
    assert (rotation.shifts[future.id].primary, rotation.shifts[future.id].backup) == (
        future.backup,
        future.primary,
    )


def test_cannot_assign_an_unavailable_person():
    rotation = rotation_with("a", "b")
    target = next(s for s in rotation.shifts.values() if s.primary == "a@x.io")
    rotation.add_unavailability("b@x.io", Interval(target.start, target.end), NOW)
    with pytest.raises(NotAllowed):
        rotation.reassign_shift(target.id, NOW, primary="b@x.io")


def test_swapping_two_shifts_exchanges_their_people():
    rotation = rotation_with("a", "b", "c", backup=True)
    first, second = list(rotation.shifts.values())[1:3]
    rotation.swap_shifts(first.id, second.id, NOW)
    assert (rotation.shifts[first.id].primary, rotation.shifts[first.id].backup) == (
        second.primary,
        second.backup,
    )
    assert (rotation.shifts[second.id].primary, rotation.shifts[second.id].backup) == (
        first.primary,
        first.backup,
    )
    assert {e.shift.id for e in shift_events(rotation)} == {first.id, second.id}
    with pytest.raises(InvalidRotation):
        rotation.swap_shifts(first.id, first.id, NOW)


def test_rolling_the_horizon_adds_shifts_and_keeps_the_past():
    rotation = rotation_with("a", "b")
    before = dict(rotation.shifts)
    rotation.roll_horizon(NOW + 2 * WEEK)
    assert all(rotation.shifts[shift_id] == shift for shift_id, shift in before.items())
    added = [e.shift for e in shift_events(rotation)]
    assert len(added) == 2
    assert all(s.id not in before for s in added)


def test_update_renames_changes_settings_and_cancels_vanished_shifts():
    rotation = rotation_with("a", "b")
    old_ids = set(rotation.shifts)
    moved = RotationSpec("Europe/London", WEEK, datetime(2026, 1, 6, 9), (timedelta(0),), None, False, 56)
    rotation.update(NOW, name="Platform EU", spec=moved)
    assert rotation.name == "Platform EU"
    assert rotation.spec == moved
    assert isinstance(rotation.events[0], RotationUpdated)
    cancelled = {e.shift.id for e in shift_events(rotation) if e.cancelled}
    assert cancelled == old_ids
    assert all(s.id.startswith("2026-") and s.primary for s in rotation.shifts.values())


def test_admins_and_deletion():
    rotation = rotation_with("a")
    rotation.set_admins(["a@x.io", "boss@x.io"], NOW)
    assert rotation.admins == {"a@x.io", "boss@x.io"}
    assert rotation.is_admin("boss@x.io")
    assert rotation.events[-1] == RotationUpdated("r1", "Platform", spec(), ("a@x.io", "boss@x.io"))
    with pytest.raises(InvalidRotation):
        rotation.set_admins([], NOW)
    rotation.delete(NOW)
    assert rotation.events[-1] == RotationDeleted("r1")
    with pytest.raises(NotAllowed):
        rotation.add_member(member("z"), NOW)


def test_a_pinned_person_who_becomes_unavailable_is_replaced():
    rotation = rotation_with("a", "b", "c")
    target = next(s for s in rotation.shifts.values() if s.primary == "a@x.io" and s.start > NOW + WEEK)
    rotation.reassign_shift(target.id, NOW, primary="b@x.io")
    rotation.add_unavailability("b@x.io", Interval(target.start, target.end), NOW)
    assert rotation.shifts[target.id].primary not in (None, "b@x.io")
