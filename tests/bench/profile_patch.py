"""CPU per shift-reassignment PATCH of the rotation service, through its ASGI app on PostgreSQL.

Creates a fresh database on the server of DATABASE_URL (dropped afterwards), a weekly rotation with
5 members and 26 shifts through the API, then PATCHes the primary of one future shift N times
(alternating between two members, so each PATCH changes it) and prints the process CPU time per
PATCH (`time.process_time`, every thread). No broker is needed: events stay in the outbox.

    set -a; . .local/env; set +a
    uv run python tests/bench/profile_patch.py [-n 200] [--profile [--top 30]]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import os
import pstats
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_testing.clock import FakeClock
from oncall_testing.databases import create_database, drop_database
from rotation_service.adapters.migrations import SCHEMA
from rotation_service.bootstrap import bootstrap
from rotation_service.entrypoints.api.auth import mint_token
from rotation_service.settings import RotationServiceSettings

SECRET, AUDIENCE, ISSUER = "profile-patch-secret-0123456789abcdef", "oncall-profile", "https://login.test"
OWNER = "owner@example.com"
MEMBERS = [f"m{i}@example.com" for i in range(5)]
ROTATION: dict[str, object] = {
    "name": "Profiled",
    "time_zone": "Europe/London",
    "first_shift_start": "2026-12-07T09:00:00",
    "period": "P7D",
    "handoffs": ["P0D"],
    "coverage": None,
    "backup": False,
    "horizon_days": 182,  # 26 weekly shifts from the clock's 2026-12-01
}


def settings(database_url: str) -> RotationServiceSettings:
    return RotationServiceSettings(
        pagerduty_base_url="http://127.0.0.1:9/pagerduty-not-here",
        pagerduty_eu_base_url="http://127.0.0.1:9/pagerduty-not-here",
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9"),
        kafka_topic_prefix="profile.",
        jwt_secret=SECRET,  # type: ignore[arg-type]
        jwt_audience=AUDIENCE,
        jwt_issuer=ISSUER,
        credential_keys="p1:" + base64.b64encode(b"k" * 32).decode(),  # type: ignore[arg-type]
    )


async def run(patches: int, profile: bool, top: int, show_sql: bool) -> None:
    database_url = await create_database(os.environ["DATABASE_URL"])
    try:
        await SCHEMA.upgrade_async(database_url)
        clock = FakeClock(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
        provider = TracerProvider()  # global, as oncall_platform.telemetry sets it in a service
        trace.set_tracer_provider(provider)
        container = bootstrap(settings(database_url), clock=clock, tracer_provider=provider)
        headers = {"Authorization": f"Bearer {mint_token(SECRET, OWNER, audience=AUDIENCE, issuer=ISSUER)}"}
        transport = httpx.ASGITransport(app=container.app())
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://rotation.test") as http:
                await measure(http, headers, patches, profile, top, container.engine if show_sql else None)
        finally:
            await container.close()
    finally:
        await drop_database(database_url)


async def measure(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    patches: int,
    profile: bool,
    top: int,
    engine: AsyncEngine | None,
) -> None:
    created = await http.post("/v1/rotations", json=ROTATION, headers=headers)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    for email in MEMBERS:
        body = {"email": email, "name": email.split("@")[0], "time_zone": "Europe/London"}
        added = await http.post(f"/v1/rotations/{rid}/members", json=body, headers=headers)
        assert added.status_code == 201, added.text
    shifts: list[dict[str, Any]] = (await http.get(f"/v1/rotations/{rid}/shifts", headers=headers)).json()
    shift = shifts[len(shifts) // 2]
    url = f"/v1/rotations/{rid}/shifts/{shift['id']}"
    choices = [m for m in MEMBERS if m != shift["primary"]][:2]

    async def patch(i: int) -> None:
        response = await http.patch(url, json={"primary": choices[i % 2]}, headers=headers)
        assert response.status_code == 200, response.text

    for i in range(20):  # warm up: caches, the connection pool, prepared statements
        await patch(i)
    if engine is not None:
        await show_statements(engine, patch)
    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for i in range(patches):
        await patch(i)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"{len(shifts)} shifts, {len(MEMBERS)} members, {patches} PATCHes")
    print(f"CPU {cpu / patches * 1000:.2f} ms/PATCH, wall {wall / patches * 1000:.2f} ms/PATCH")
    if profiler:
        stats = pstats.Stats(profiler)
        print(f"{stats.total_calls / patches:.0f} Python function calls per PATCH")  # type: ignore[attr-defined]
        profiler.dump_stats(os.environ.get("PROFILE_OUT", "/tmp/profile_patch.prof"))
        if top:
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)


async def show_statements(engine: AsyncEngine, patch: Callable[[int], Awaitable[None]]) -> None:
    """Prints the SQL one PATCH sends."""
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split())[:160])

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    await patch(0)
    event.remove(engine.sync_engine, "before_cursor_execute", note)
    print(f"{len(statements)} SQL statements in one PATCH:")
    for statement in statements:
        print("  " + statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--patches", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile the PATCHes (slows them)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sql", action="store_true", help="print the SQL statements of one PATCH")
    args = parser.parse_args()
    asyncio.run(run(args.patches, args.profile, args.top, args.sql))


if __name__ == "__main__":
    main()
