"""CPU per change of pd-sync's latency path, in-process on PostgreSQL and Kafka against the simulator.

One rotation (5 members, 26 weekly shifts) is synced once; then N times: fold a ShiftChanged that
reassigns a future shift, run the reconciler's pass (due query, claim, inputs, render, PUT, save,
outbox) and the outbox relay's publish. The simulator runs in a subprocess, so `time.process_time`
counts only this process: pd-sync's code, its drivers and clients. Prints CPU ms per change and a
cProfile top 30 (by cumulative time with --sort cumulative; own time by default).

    set -a; . .local/env; set +a
    uv run python tests/bench/profile_sync.py [-n 200] [--sort tottime|cumulative] [--no-profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import os
import pstats
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("ENVIRONMENT", "development")  # as the test plugin does
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services/pd-sync-service/tests/support"))

from pd_sync_harness import ACCOUNT, API_KEY, create_users  # noqa: E402
from pd_sync_shifts import local_boundaries  # noqa: E402
from sqlalchemy import event  # noqa: E402

from oncall_contracts import (  # noqa: E402
    IntegrationConfigured,
    PagerDutyUserProvisioned,
    RotationCreated,
    ShiftChanged,
    Topics,
)
from oncall_platform.kafka import ensure_topics  # noqa: E402
from oncall_testing.databases import create_database, drop_database  # noqa: E402
from oncall_testing.kafka import delete_topics  # noqa: E402
from pd_sync_service.bootstrap import bootstrap  # noqa: E402
from pd_sync_service.migrate import SCHEMA  # noqa: E402
from pd_sync_service.service_layer.folding import fold  # noqa: E402
from pd_sync_service.settings import PdSyncSettings  # noqa: E402

START = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
ZONE = "Europe/London"
MEMBERS = [f"member{index}@example.com" for index in range(5)]
WEEKS = local_boundaries(ZONE, datetime(2026, 3, 16), timedelta(days=7), [timedelta(hours=9)], 27)

_SIMULATOR = f"""
import sys
from pagerduty_sim.testing import run_simulator
with run_simulator(["acme:{API_KEY}"]) as sim:
    sim.set_clock("{START.isoformat()}")
    print(sim.base_url, flush=True)
    sys.stdin.read()
"""


class _Sim:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


def _pd_clock() -> Any:
    """The simulator's clock (set to START when it started, then running): no request per reading."""
    started = time.monotonic()
    return lambda: START + timedelta(seconds=time.monotonic() - started)


async def _fold(service: Any, payload: Any) -> None:
    async with service.reconciler._uow() as uow:
        # Stamped a second ago: due at once (no debounce wait in the measurement).
        now = datetime.now(UTC) - timedelta(seconds=1)
        await fold(uow, payload, now, now)
        await uow.commit()


async def _run(
    base_url: str, changes: int, sort: str, profile: bool, callers: str | None, only: str | None
) -> None:
    bootstrap_servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    server_url = os.environ["DATABASE_URL"]
    topics = Topics(prefix=f"p{uuid.uuid4().hex[:12]}.")
    await ensure_topics(bootstrap_servers, topics.specs())
    database_url = await create_database(server_url)
    try:
        await SCHEMA.upgrade_async(database_url)
        settings = PdSyncSettings(
            kafka_bootstrap_servers=bootstrap_servers,
            kafka_topic_prefix=topics.prefix,
            database_url=database_url,
            pagerduty_base_url=base_url,
        )
        service = bootstrap(settings, pagerduty_clock=_pd_clock())
        user_ids = create_users(_Sim(base_url), MEMBERS)
        rotation = str(uuid.uuid4())
        sealed = settings.credential_sealer().seal(API_KEY, ACCOUNT.key)
        setup: list[Any] = [
            RotationCreated(
                rotation_id=rotation,
                name="Profiled",
                time_zone=ZONE,
                period=timedelta(days=7),
                first_shift_start=datetime(2026, 3, 16, 9),
                handoffs=[timedelta(hours=9)],
                coverage=None,
                backup=False,
                horizon_days=182,
            ),
            IntegrationConfigured(
                rotation_id=rotation,
                rotation_name="Profiled",
                mode="own",
                target_rotation_id=rotation,
                schedule_name="Profiled schedule",
                account=ACCOUNT,
                credential=sealed,
                time_zone=ZONE,
                schedule_time_zone=ZONE,
                coverage=None,
                backup=False,
                revision=1,
            ),
            *(
                PagerDutyUserProvisioned(account=ACCOUNT, email=email, user_id=user_ids[email], name=email)
                for email in MEMBERS
            ),
        ]
        revisions = itertools.count(1)
        owners = {}
        for index, (start, end) in enumerate(itertools.pairwise(WEEKS)):
            owners[index] = MEMBERS[index % len(MEMBERS)]
            setup.append(
                ShiftChanged(
                    rotation_id=rotation,
                    shift_id=f"w{index}",
                    revision=next(revisions),
                    start=start,
                    end=end,
                    primary=owners[index],
                    backup=None,
                    cancelled=False,
                )
            )
        for payload in setup:
            await _fold(service, payload)
        reconciler, relay = service.reconciler, service.relay
        assert await reconciler.drain_once() >= 1
        await relay.publish_pending()

        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        event.listen(service.engine.sync_engine, "before_cursor_execute", count)
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
        cpu = 0.0
        wall = 0.0
        samples: list[float] = []
        for change in range(changes):
            week = 2 + change % 24  # a future shift
            owners[week] = MEMBERS[(MEMBERS.index(owners[week]) + 1) % len(MEMBERS)]
            await _fold(
                service,
                ShiftChanged(
                    rotation_id=rotation,
                    shift_id=f"w{week}",
                    revision=next(revisions),
                    start=WEEKS[week],
                    end=WEEKS[week + 1],
                    primary=owners[week],
                    backup=None,
                    cancelled=False,
                ),
            )
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            if profile:
                profiler.enable()
            synced = await reconciler.drain_once()
            published = await relay.publish_pending()
            if profile:
                profiler.disable()
            samples.append(time.process_time() - started_cpu)
            cpu += samples[-1]
            wall += time.perf_counter() - started_wall
            assert synced >= 1, synced
            assert published == 1, published
        event.remove(service.engine.sync_engine, "before_cursor_execute", count)
        calls = getattr(pstats.Stats(profiler), "total_calls", 0) if profile else 0
        print(
            f"sql_statements_per_change={statements[0] / changes:.1f} "
            f"python_calls_per_change={calls / changes:.0f}"
        )
        print(
            f"changes={changes} cpu_ms_per_change={1000 * cpu / changes:.2f} "
            f"median={1000 * statistics.median(samples):.2f} "
            f"p10={1000 * statistics.quantiles(samples, n=10)[0]:.2f} "
            f"wall_ms_per_change={1000 * wall / changes:.2f} (profiler {'on' if profile else 'off'})"
        )
        if profile:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(sort)
            stats.print_stats(*([only] if only else []), 30)
            if callers:
                stats.print_callers(callers)
            print(out.getvalue())
        await relay.close()
        await service.pagerduty_clients.aclose()
        await service.engine.dispose()
    finally:
        await drop_database(database_url)
        await delete_topics(bootstrap_servers, [spec.name for spec in topics.specs()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--changes", type=int, default=200)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--no-profile", action="store_true", help="time without the profiler's overhead")
    parser.add_argument("--callers", help="also print the callers of the functions matching this regex")
    parser.add_argument("--only", help="list only the functions matching this regex (e.g. pd_sync_service)")
    args = parser.parse_args()
    simulator = subprocess.Popen(
        [sys.executable, "-c", _SIMULATOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert simulator.stdin is not None
    assert simulator.stdout is not None
    try:
        base_url = simulator.stdout.readline().strip()
        asyncio.run(_run(base_url, args.changes, args.sort, not args.no_profile, args.callers, args.only))
    finally:
        simulator.stdin.close()
        simulator.wait(timeout=15)


if __name__ == "__main__":
    main()
