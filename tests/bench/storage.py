"""Table sizes before and after many changes through the API (issue 14, point 5): does storage stay flat?

Not a timed test and not part of `make test`. Run it with the PostgreSQL and Kafka of `make up`:

    set -a; . .local/env; set +a; uv run python tests/bench/storage.py [--changes 10000]

It starts a system like `make run` (`bench_system`: its own topic prefix and databases, removed after)
with the retention windows shortened so that pruning happens within the run (published outbox rows
kept 30 s, inbox ids 60 s, both pruned every 10 s; shifts keep their 90 days: none of a run's end that
long ago). It sets up `--rotations` rotations with their own PagerDuty schedules and reads the rows and
`pg_total_relation_size` of every table of every service. It then makes `--changes` changes in two
equal bursts (10,000: 5,000 + 5,000) of shift reassignments, renames, a guest per team joining and
leaving, and every 20th change a rotation deleted and one created with its people (so the number of
live rotations and of people stays the same), and after each burst, once the consumers caught up and
the pruning windows passed, reads the tables again: three readings (before, after the first burst,
after the second) and the second burst's growth per table. Rows flat across the bursts say the pruning
keeps up; bytes flat in the second burst say PostgreSQL reuses the space of the rows the first burst's
pruning deleted (dead tuples, free once autovacuum, on the server's own settings, has passed) instead
of growing with the changes. Writes tests/bench/storage-results.json: per table `rows` and `bytes`
(one value per reading, in `readings` order) and `second_burst_growth`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script: Python puts this folder on the import path, so its sibling modules import by name.
from bench_system import bench_system
from consumers import wait_until_caught_up

from localsystem.api import RotationApi
from localsystem.system import LocalSystem
from localsystem.timelines import parse_instant
from localsystem.walkthrough import add_members, last_monday_0900
from oncall_platform.database import make_async_engine

RESULTS = Path(__file__).resolve().parent / "storage-results.json"
ZONE = "Europe/Paris"
OUTBOX_RETENTION_S, INBOX_WINDOW_S, PRUNE_INTERVAL_S = 30, 60, 10
SHORT_WINDOWS = {
    "OUTBOX_RETENTION_SECONDS": str(OUTBOX_RETENTION_S),
    "INBOX_REDELIVERY_WINDOW_DAYS": str(INBOX_WINDOW_S / 86400),
    "INBOX_PRUNE_INTERVAL_SECONDS": str(PRUNE_INTERVAL_S),
}
Sizes = dict[str, dict[str, dict[str, int]]]  # service -> table -> {"rows", "bytes"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=10_000, help="changes made through the API")
    parser.add_argument("--rotations", type=int, default=10, help="live rotations (each with 4 members)")
    return parser.parse_args()


async def _table_sizes(database_url: str) -> dict[str, dict[str, int]]:
    engine = make_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("ANALYZE")
            tables = (
                await connection.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
                )
            ).scalars()
            sizes = {}
            for table in list(tables):
                rows, size = (
                    await connection.exec_driver_sql(
                        f'SELECT count(*), pg_total_relation_size(\'public."{table}"\') FROM "{table}"'
                    )
                ).one()
                sizes[str(table)] = {"rows": int(rows), "bytes": int(size)}
            return sizes
    finally:
        await engine.dispose()


def table_sizes(system: LocalSystem) -> Sizes:
    return {service: asyncio.run(_table_sizes(url)) for service, url in system.config.database_urls.items()}


class Changes:
    """One API call = one change, in a fixed mix over a pool of live rotations."""

    def __init__(self, system: LocalSystem, api: RotationApi) -> None:
        self._api, self._account = api, system.config.account
        self._serial = itertools.count()
        self.live: list[str] = []
        self._people: dict[str, list[str]] = {}
        self._guests: set[str] = set()  # rotations with a guest member
        self._teams: dict[str, int] = {}
        self.made = 0

    def new_rotation(self, team: int | None = None) -> None:
        number = next(self._serial)
        team = number if team is None else team
        rotation = str(self._api.create_rotation(f"storage {number}", ZONE, last_monday_0900(ZONE))["id"])
        people = [(f"p{m}.t{team}@bench.example.com", f"P{m} T{team}") for m in range(4)]
        add_members(self._api, rotation, people, ZONE)
        self._people[rotation] = [email for email, _ in people]
        self._teams[rotation] = team
        self._api.configure_own(rotation, self._account.subdomain, self._account.api_key)
        self.live.append(rotation)
        self.made += 2 + len(people)

    def one(self, index: int) -> None:
        rotation = self.live[index % len(self.live)]
        kind = index % 20
        if kind == 0:  # a rotation goes, another comes (6 changes)
            gone = self.live.pop(0)
            self._api.delete_rotation(gone)
            del self._people[gone]
            self._guests.discard(gone)
            self.made += 1
            self.new_rotation(team=self._teams.pop(gone))
        elif kind in (1, 2):  # someone joins, or the one who joined leaves
            email = f"guest.t{self._teams[rotation]}@bench.example.com"
            if rotation in self._guests:
                self._api.remove_member(rotation, email)
                self._guests.remove(rotation)
            else:
                self._api.add_member(rotation, email, "Guest", ZONE)
                self._guests.add(rotation)
            self.made += 1
        elif kind == 3:
            self._api.update_rotation(rotation, name=f"storage renamed {index}")
            self.made += 1
        else:
            self._reassign(rotation, index)

    def _reassign(self, rotation: str, index: int) -> None:
        now = datetime.now(UTC)
        window = self._api.shifts(rotation, now + timedelta(days=1), now + timedelta(days=60))
        shifts = [shift for shift in window if parse_instant(shift["start"]) > now + timedelta(hours=1)]
        shift = shifts[index % len(shifts)]
        others = [email for email in self._people[rotation] if email != shift.get("primary")]
        self._api.reassign_shift(rotation, shift["id"], primary=others[index % len(others)])
        self.made += 1


READINGS = ("before", "first burst", "second burst")


def readings_by_table(readings: list[Sizes]) -> list[dict[str, Any]]:
    """Per table: rows and bytes at each reading (a table missing from one counts 0), and what the
    second burst added: about zero rows, and bytes within the space the first burst left, when flat."""
    empty = {"rows": 0, "bytes": 0}
    found = sorted({(service, name) for sizes in readings for service in sizes for name in sizes[service]})
    rows = []
    for service, name in found:
        seen = [sizes.get(service, {}).get(name, empty) for sizes in readings]
        rows.append(
            {
                "service": service,
                "table": name,
                "rows": [size["rows"] for size in seen],
                "bytes": [size["bytes"] for size in seen],
                "second_burst_growth": {
                    "rows": seen[-1]["rows"] - seen[-2]["rows"],
                    "bytes": seen[-1]["bytes"] - seen[-2]["bytes"],
                },
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """Rows and kB at each reading (0: before, 1: after the first burst, 2: after the second), and the
    second burst's growth."""
    counts = " ".join(f"{f'rows {i}':>7}" for i in range(len(READINGS)))
    sizes = " ".join(f"{f'kB {i}':>7}" for i in range(len(READINGS)))
    lines = [f"{'service':<18} {'table':<22} {counts} {sizes} {'+rows 2':>8} {'+kB 2':>7}"]
    for row in rows:
        counts = " ".join(f"{n:>7}" for n in row["rows"])
        sizes = " ".join(f"{b // 1024:>7}" for b in row["bytes"])
        growth = row["second_burst_growth"]
        lines.append(
            f"{row['service']:<18} {row['table']:<22} {counts} {sizes} "
            f"{growth['rows']:>+8} {round(growth['bytes'] / 1024):>+7}"
        )
    return "\n".join(lines)


def settle(bootstrap: str, system: LocalSystem) -> None:
    """Until the consumers caught up and the pruning windows passed (autovacuum, on the server's own
    settings, gets its turns meanwhile: the dead tuples' space becomes reusable only then)."""
    wait_until_caught_up(bootstrap, system.config.topic_prefix)
    time.sleep(max(OUTBOX_RETENTION_S, INBOX_WINDOW_S) + 3 * PRUNE_INTERVAL_S)


def main() -> int:
    args = parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "settings": SHORT_WINDOWS,
        "readings": list(READINGS),
    }
    first = args.changes // 2
    bursts = [first, args.changes - first]
    with bench_system(extra_env=SHORT_WINDOWS) as system:
        api = RotationApi(system.api_url, system.token("bench@example.com"), timeout_s=120)
        changes = Changes(system, api)
        for _ in range(args.rotations):
            changes.new_rotation()
        wait_until_caught_up(bootstrap, system.config.topic_prefix)
        readings = [table_sizes(system)]
        results["setup_changes"], index = changes.made, 0
        results["bursts"] = []
        print(f"set up {args.rotations} rotations; {args.changes} changes in two bursts", flush=True)
        for number, wanted in enumerate(bursts, start=1):
            print(f"burst {number}: {wanted} changes ...", flush=True)
            started, changes.made = time.monotonic(), 0
            while changes.made < wanted:
                changes.one(index)
                index += 1
                if index % 500 == 0:
                    print(f"  {changes.made} changes", flush=True)
            results["bursts"].append(
                {"changes": changes.made, "change_seconds": round(time.monotonic() - started, 1)}
            )
            settle(bootstrap, system)
            readings.append(table_sizes(system))
        results["changes"] = sum(burst["changes"] for burst in results["bursts"])
        results["tables"] = readings_by_table(readings)
        api.close()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{table(results['tables'])}\n\nwritten to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
