"""The consent rules of shift requests, on the pure domain."""

from datetime import UTC, datetime, timedelta

import pytest

from rotation_service.domain import shift_requests as requests
from rotation_service.domain.errors import InvalidRotation, NotYours, RequestClosed
from rotation_service.domain.events import ShiftAssignmentChanged
from rotation_service.domain.model import Member, RotationSpec
from rotation_service.domain.rotation import Rotation

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _rotation(*names: str, backup: bool = False) -> Rotation:
    spec = RotationSpec("UTC", timedelta(days=7), datetime(2026, 1, 5, 9), (timedelta(0),), None, backup, 56)
    rotation = Rotation.create("r1", "Platform", spec, "admin@x.io", NOW)
    for name in names:
        rotation.add_member(Member(f"{name}@x.io", name.title(), "UTC", NOW), NOW)
    rotation.events.clear()
    return rotation


def _held_by(rotation: Rotation, email: str) -> list[str]:
    return [s.id for s in rotation.shifts.values() if s.start > NOW and s.primary == email]


def test_asking_changes_no_shift_and_records_no_event() -> None:
    rotation = _rotation("ann", "bob")
    before = dict(rotation.shifts)
    shift_id = _held_by(rotation, "ann@x.io")[0]

    asked = requests.ask_hand_over(rotation, "q1", shift_id, "primary", "ann@x.io", "bob@x.io", NOW)

    assert (asked.state, asked.requested_of, asked.kind) == ("pending", "bob@x.io", "hand_over")
    assert asked.expires_at == min(NOW + requests.REQUEST_LIFETIME, rotation.shifts[shift_id].start)
    assert rotation.shifts == before
    assert rotation.events == []


def test_only_the_holder_of_a_role_may_ask_about_it() -> None:
    rotation = _rotation("ann", "bob", "cat")
    shift_id = _held_by(rotation, "ann@x.io")[0]

    with pytest.raises(NotYours):
        requests.ask_hand_over(rotation, "q1", shift_id, "primary", "bob@x.io", "cat@x.io", NOW)
    with pytest.raises(InvalidRotation):
        requests.ask_hand_over(rotation, "q1", shift_id, "primary", "ann@x.io", "ann@x.io", NOW)
    with pytest.raises(NotYours):  # no backup pattern: nobody holds a backup role
        requests.ask_hand_over(rotation, "q1", shift_id, "backup", "ann@x.io", "cat@x.io", NOW)


def test_a_swap_asks_whoever_holds_the_role_of_the_other_shift() -> None:
    rotation = _rotation("ann", "bob")
    mine, theirs = _held_by(rotation, "ann@x.io")[0], _held_by(rotation, "bob@x.io")[0]

    asked = requests.ask_swap(rotation, "q1", mine, "primary", "ann@x.io", theirs, NOW)
    accepted = requests.accept(asked, rotation, "bob@x.io", NOW)

    assert (accepted.state, accepted.forced) == ("accepted", False)
    assert (rotation.shifts[mine].primary, rotation.shifts[theirs].primary) == ("bob@x.io", "ann@x.io")
    changed = {e.shift.id for e in rotation.events if isinstance(e, ShiftAssignmentChanged)}
    assert changed == {mine, theirs}
    with pytest.raises(InvalidRotation):
        requests.ask_swap(rotation, "q2", mine, "primary", "bob@x.io", mine, NOW)


def test_closing_steps_belong_to_the_right_person_unless_an_admin_forces_them() -> None:
    rotation = _rotation("ann", "bob")
    shift_id = _held_by(rotation, "ann@x.io")[0]
    asked = requests.ask_hand_over(rotation, "q1", shift_id, "primary", "ann@x.io", "bob@x.io", NOW)

    with pytest.raises(NotYours):
        requests.decline(asked, "ann@x.io", NOW)
    with pytest.raises(NotYours):
        requests.cancel(asked, "bob@x.io", NOW)
    assert requests.decline(asked, "admin@x.io", NOW, as_admin=True).forced
    assert requests.cancel(asked, "ann@x.io", NOW).state == "cancelled"
    assert requests.accept(asked, rotation, "admin@x.io", NOW, as_admin=True).forced


def test_an_expired_request_is_closed() -> None:
    rotation = _rotation("ann", "bob")
    shift_id = _held_by(rotation, "ann@x.io")[0]
    asked = requests.ask_hand_over(rotation, "q1", shift_id, "primary", "ann@x.io", "bob@x.io", NOW)
    later = asked.expires_at

    assert requests.expire(asked, later - timedelta(seconds=1)) is None
    assert asked.state_at(later) == "expired"
    with pytest.raises(RequestClosed):
        requests.accept(asked, rotation, "bob@x.io", later)
    expired = requests.expire(asked, later)
    assert expired is not None
    assert expired.state == "expired"
    assert requests.expire(expired, later) is None
