"""How long one `allocate` takes for the sizes the API limits allow (docs/benchmarks.md).

    uv run python tests/bench/allocation_limits.py

Each case: 3 handoffs a day (8 h shifts), 50 members; "create" plans the horizon from nothing,
"join" adds the 50th member to the plan of 49 (the rebalancing case), "roll" re-plans an unchanged
team. The best of 3 runs, in milliseconds, on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rotation_service.domain.allocation import allocate
from rotation_service.domain.model import Member, RotationSpec

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def best_ms(run: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    team = [Member(f"m{i}@x.io", f"M {i}", "UTC", NOW - timedelta(days=30)) for i in range(50)]
    print("horizon_days backup shifts create_ms join_ms roll_ms")
    for horizon in (182, 365):
        for backup in (False, True):
            spec = RotationSpec(
                time_zone="Europe/London",
                period=timedelta(days=1),
                first_shift_start=datetime(2026, 12, 7, 9, 0),
                handoffs=(timedelta(0), timedelta(hours=8), timedelta(hours=16)),
                backup=backup,
                horizon_days=horizon,
            )
            plan = allocate(spec, team[:49], [], NOW)
            full = allocate(spec, team, [], NOW)
            create = best_ms(lambda: allocate(spec, team, [], NOW))  # noqa: B023
            join = best_ms(lambda: allocate(spec, team, plan, NOW))  # noqa: B023
            roll = best_ms(lambda: allocate(spec, team, full, NOW + timedelta(days=1)))  # noqa: B023
            print(f"{horizon} {backup} {len(full)} {create:.0f} {join:.0f} {roll:.0f}")


if __name__ == "__main__":
    main()
