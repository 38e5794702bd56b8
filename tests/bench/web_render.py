"""The web UI's rotation page for a rotation of 20 members over 26 weeks: render time, p50/p95/p99.

The page is served by the real application (`oncall_web.bootstrap`) in this process; the rotation
service's answers come from an in-memory transport holding a realistic 20-member, 26-week rotation
(daily handoffs with a backup, a 08:00-20:00 coverage window), so what is timed is the UI's own work:
its API calls' decoding, the load and calendar, and the template. Target: p95 under 200 ms.

    uv run python tests/bench/web_render.py [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from oncall_web.bootstrap import bootstrap
from oncall_web.settings import WebSettings

MEMBERS = [f"member{n:02d}@example.com" for n in range(20)]
WEEKS = 26
ROTATION_ID = "bench"


def rotation() -> dict[str, Any]:
    return {
        "id": ROTATION_ID,
        "name": "Bench rotation",
        "time_zone": "Europe/Berlin",
        "first_shift_start": "2026-11-30T09:00:00",
        "period": "P1D",
        "handoffs": ["PT0S"],
        "coverage": {"start": "08:00:00", "end": "20:00:00"},
        "backup": True,
        "horizon_days": 7 * WEEKS,
        "admins": [MEMBERS[0]],
        "members": [
            {
                "email": m,
                "name": f"Member {n}",
                "time_zone": "Europe/Berlin",
                "joined_at": "2026-11-01T00:00:00Z",
                "unavailable": [],
            }
            for n, m in enumerate(MEMBERS)
        ],
    }


def shifts(now: datetime) -> list[dict[str, Any]]:
    start = now.replace(hour=8, minute=0, second=0, microsecond=0)
    return [
        {
            "id": f"s{day}",
            "start": (start + timedelta(days=day)).isoformat(),
            "end": (start + timedelta(days=day + 1)).isoformat(),
            "primary": MEMBERS[day % 20],
            "backup": MEMBERS[(day + 7) % 20],
            "conflict": False,
            "pinned": False,
        }
        for day in range(7 * WEEKS)
    ]


def timeline(now: datetime, offset: int) -> list[dict[str, Any]]:
    start = now.replace(hour=7, minute=0, second=0, microsecond=0)
    return [
        {
            "start": (start + timedelta(days=day)).isoformat(),
            "end": (start + timedelta(days=day, hours=12)).isoformat(),
            "email": MEMBERS[(day + offset) % 20],
        }
        for day in range(7 * WEEKS)
    ]


def fake_api() -> httpx.MockTransport:
    now = datetime.now(UTC)
    answers = {
        f"/v1/rotations/{ROTATION_ID}": rotation(),
        f"/v1/rotations/{ROTATION_ID}/shifts": shifts(now),
        f"/v1/rotations/{ROTATION_ID}/pagerduty": {
            "rotation_id": ROTATION_ID,
            "mode": "own",
            "target_rotation_id": ROTATION_ID,
            "schedule_name": "Bench rotation",
            "account": {"subdomain": "acme", "region": "us"},
            "configured_at": now.isoformat(),
            "last_sync": now.isoformat(),
            "last_error": None,
            "schedules": [
                {
                    "role": role,
                    "schedule_id": f"P{role[:3].upper()}",
                    "schedule_url": f"https://acme.pagerduty.com/schedules/P{role}",
                    "layer_ids": ["L1"],
                    "synced_until": None,
                    "last_synced_at": now.isoformat(),
                }
                for role in ("primary", "backup")
            ],
        },
    }

    oncall = {"primary": timeline(now, 0), "backup": timeline(now, 7)}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oncall"):
            return httpx.Response(200, json=oncall[request.url.params["role"]])
        return httpx.Response(200, json=answers[request.url.path])

    return httpx.MockTransport(handle)


async def measure(requests: int) -> list[float]:
    container = bootstrap(WebSettings(environment="development"), transport=fake_api())
    app = container.app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://web") as browser:
        page = await browser.get("/signin")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        await browser.post("/signin", data={"email": MEMBERS[0], "csrf_token": csrf})
        timings = []
        for index in range(requests + 10):
            started = time.perf_counter()
            response = await browser.get(f"/rotations/{ROTATION_ID}")
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text[:300]
            if index == 0:
                assert response.text.count('data-shift="') == 7 * WEEKS, "every shift is on the page"
                assert all(m in response.text for m in MEMBERS)
            if index >= 10:  # the first requests warm up the template cache
                timings.append(elapsed)
    await container.close()
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    timings = asyncio.run(measure(arguments.requests))
    ms = [t * 1000 for t in timings]
    p95 = percentile(ms, 0.95)
    print(
        f"rotation page, {len(MEMBERS)} members, {WEEKS} weeks ({7 * WEEKS} shifts): {len(ms)} requests, "
        f"p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, p99 {percentile(ms, 0.99):.1f} ms "
        f"(target p95 < 200 ms: {'met' if p95 < 200 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
