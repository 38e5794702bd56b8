"""Allocation speed benchmark, not a test (pytest does not collect it). Run from the repository root:
`uv run python services/rotation-service/tests/unit/domain/bench_allocation.py`.

Goals: 182 days of a weekly rotation with 50 members in milliseconds; daily shifts with four handoffs
well under a second, including a join, a leave, unavailability and a roll.
"""

from datetime import UTC, datetime, timedelta
from time import perf_counter

from rotation_service.domain.model import Interval, Member, RotationSpec
from rotation_service.domain.rotation import Rotation

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WEEKLY = RotationSpec(
    "Europe/London", timedelta(days=7), datetime(2026, 1, 5, 9), (timedelta(0),), None, True
)
FOUR_A_DAY = RotationSpec(
    "America/Los_Angeles",
    timedelta(days=1),
    datetime(2026, 1, 5),
    tuple(timedelta(hours=h) for h in (0, 6, 12, 18)),
    None,
    True,
)


def timed(label: str, action) -> None:  # type: ignore[no-untyped-def]
    started = perf_counter()
    action()
    print(f"{label:<48} {1000 * (perf_counter() - started):8.1f} ms")


def scenario(name: str, spec: RotationSpec, size: int) -> None:
    rotation = Rotation.create("r", name, spec, "admin@x.io", NOW)
    members = [Member(f"m{i:02d}@x.io", f"M{i}", "UTC", NOW) for i in range(size)]
    for member in members[:-1]:
        rotation.add_member(member, NOW)
    timed(f"{name}: join (member {size})", lambda: rotation.add_member(members[-1], NOW))
    timed(f"{name}: leave", lambda: rotation.remove_member(members[0].email, NOW))
    away = Interval(NOW + timedelta(days=20), NOW + timedelta(days=60))
    for member in members[1:6]:
        timed(
            f"{name}: unavailable 40 days", lambda m=member: rotation.add_unavailability(m.email, away, NOW)
        )
    timed(
        f"{name}: roll one week (restores fairness)", lambda: rotation.roll_horizon(NOW + timedelta(days=7))
    )
    print(f"{name}: {len(rotation.shifts)} shifts")


if __name__ == "__main__":
    scenario("weekly, 50 members", WEEKLY, 50)
    scenario("4 handoffs a day, 12 members", FOUR_A_DAY, 12)
    scenario("4 handoffs a day, 50 members", FOUR_A_DAY, 50)
