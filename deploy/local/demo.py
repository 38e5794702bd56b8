"""`make demo`, against `make run`: two follow-the-sun rotations with a backup pattern synced into the
PagerDuty simulator (one own schedule, one merged into it), a shift swap, and the resulting PagerDuty
schedules for the next week printed next to the scheduler's timeline."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from localsystem.api import RotationApi
from localsystem.convergence import ScheduleFeed, compare, wait_until_converged
from localsystem.pagerduty import PagerDutyView
from localsystem.system import BIN
from localsystem.timelines import Entry
from localsystem.walkthrough import (
    add_members,
    future_shift,
    last_monday_0900,
    swap_primary_and_backup,
    wait_for_reported_schedules,
)

SYSTEM_FILE = Path(__file__).resolve().parents[2] / ".local" / "run" / "system.json"
ZONE = "Europe/London"
HORIZON_DAYS = 56
WEEK = timedelta(days=7)
TEAMS = {
    "days": (("07:00", "19:00"), [("amara", "Amara"), ("bo", "Bo"), ("chen", "Chen")]),
    "nights": (("19:00", "07:00"), [("dara", "Dara"), ("eli", "Eli"), ("fern", "Fern")]),
}


def load_system() -> dict[str, Any]:
    if not SYSTEM_FILE.exists():
        sys.exit("no running system found: start it with `make run` in another terminal first")
    details: dict[str, Any] = json.loads(SYSTEM_FILE.read_text())
    if not details.get("simulator_url"):
        sys.exit(
            "the demo reads schedules from the PagerDuty simulator; `make run` without PAGERDUTY_BASE_URL"
        )
    return details


def mint_token(email: str) -> str:
    result = subprocess.run([str(BIN / "rotation-service"), "token", email], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"could not mint a token: {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1]


def create_team(api: RotationApi, label: str, suffix: str) -> str:
    coverage, people = TEAMS[label]
    rotation = api.create_rotation(
        f"Demo {label} {suffix}",
        ZONE,
        last_monday_0900(ZONE),
        coverage=coverage,
        backup=True,
        horizon_days=HORIZON_DAYS,
    )
    rotation_id = str(rotation["id"])
    add_members(api, rotation_id, [(f"{handle}.{suffix}@example.com", name) for handle, name in people], ZONE)
    print(
        f"created rotation {rotation['name']!r} ({rotation_id}), on call {coverage[0]}-{coverage[1]} {ZONE}"
    )
    return rotation_id


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def _when(instant: datetime) -> str:
    return f"{instant:%a %d %b %H:%M}"


def print_layers(schedule: dict[str, Any]) -> None:
    rows = []
    for layer in schedule["schedule_layers"]:
        users = [u["user"].get("summary") or u["user"]["id"] for u in layer["users"]]
        rows.append(
            [
                layer["name"],
                layer["start"][:16],
                (layer.get("end") or "-")[:16],
                f"{layer['rotation_turn_length_seconds'] // 3600} h",
                str(len(users)),
                "; ".join(
                    f"{r['start_time_of_day'][:5]}+{r['duration_seconds'] // 3600}h"
                    for r in layer["restrictions"]
                )
                or "-",
            ]
        )
    print(table(["layer", "start (UTC)", "end", "turn", "turns", "restriction"], rows))


def print_side_by_side(scheduler: list[Entry], pagerduty: list[Entry]) -> None:
    rows = []
    for i in range(max(len(scheduler), len(pagerduty))):
        left = scheduler[i] if i < len(scheduler) else None
        right = pagerduty[i] if i < len(pagerduty) else None
        rows.append(
            [
                f"{_when(left.start)} - {_when(left.end)}" if left else "",
                left.who if left else "",
                f"{_when(right.start)} - {_when(right.end)}" if right else "",
                right.who if right else "",
                "=" if left == right else "DIFFERENT",
            ]
        )
    print(table(["scheduler (UTC)", "who", "PagerDuty final schedule (UTC)", "who", ""], rows))


def show(api: RotationApi, pagerduty: PagerDutyView, role: str, feed: ScheduleFeed) -> bool:
    since = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    until = since + WEEK
    schedule = pagerduty.schedule(feed.schedule_id, since, until)
    print(f"\n=== PagerDuty {role} schedule {schedule['name']!r} ({schedule['html_url']}) ===")
    print_layers(schedule)
    comparison = compare(api, pagerduty, feed, since, until)
    print(f"\nthe next week, {role}:")
    print_side_by_side(comparison.expected, comparison.actual)
    full = compare(api, pagerduty, feed, since, since + timedelta(days=HORIZON_DAYS - 2))
    verdict = "MATCH" if full.matches else f"DO NOT MATCH ({full.differing_seconds:.0f} s differ)"
    print(f"scheduler and PagerDuty from now to the horizon ({HORIZON_DAYS - 2} days): {verdict}")
    return full.matches


def main() -> int:
    details = load_system()
    api = RotationApi(details["api_url"], mint_token("demo-lead@example.com"))
    pagerduty = PagerDutyView(details["simulator_url"], details["api_key"])
    # People are <name>.<suffix>@example.com; a suffix given again reuses people provisioned before.
    suffix = sys.argv[1] if len(sys.argv) > 1 else datetime.now(UTC).strftime("%H%M%S")
    days, nights = create_team(api, "days", suffix), create_team(api, "nights", suffix)

    api.configure_own(days, details["subdomain"], details["api_key"], region=details["region"])
    print("set up PagerDuty sync for the days rotation (schedule name defaults to the rotation's name)")
    schedules = wait_for_reported_schedules(api, days, {"primary", "backup"})
    api.configure_merge(nights, days)
    print("merged the nights rotation into the same PagerDuty schedule (its own layer)")
    feeds = {
        role: ScheduleFeed(schedule_id, ((days, role), (nights, role)))
        for role, schedule_id in schedules.items()
    }
    wait_until_converged(api, pagerduty, list(feeds.values()), timedelta(days=HORIZON_DAYS - 2))

    shift = future_shift(api, days, not_before=timedelta(days=1))
    swap_primary_and_backup(api, days, shift)
    print(f"swapped shift {shift['id']}: {shift['primary']} <-> {shift['backup']}; waiting for the sync ...")
    wait_until_converged(api, pagerduty, list(feeds.values()), timedelta(days=HORIZON_DAYS - 2))

    matches = [
        show(api, pagerduty, role, feed)
        for role, feed in sorted(feeds.items(), key=lambda kv: kv[0] != "primary")
    ]
    print(
        "\nPagerDuty matches the scheduler." if all(matches) else "\nPagerDuty does NOT match the scheduler."
    )
    return 0 if all(matches) else 1


if __name__ == "__main__":
    sys.exit(main())
