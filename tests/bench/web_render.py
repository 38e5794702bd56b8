"""The web UI's rotation page for a rotation of 20 members over 26 weeks: render time, p50/p95/p99.

The web UI and the rotation service run as their own processes (started like `make run`, on fresh
PostgreSQL databases), and the page is fetched over HTTP as a signed-in browser would: what is timed is
the whole page, the rotation service's answers on PostgreSQL included. The rotation: daily handoffs
with a backup, a 08:00-20:00 coverage window, 20 members, a 26-week horizon, syncing to PagerDuty (so
the page shows the sync status too). Each API call the page makes is timed on its own as well, to
show where the time goes, and the CPU time each process spends per page (less sensitive to a busy
machine than the wall clock). Target: p95 under 200 ms.

    uv run python tests/bench/web_render.py [--requests 200]   (DATABASE_URL from `make up`)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from bench_system import bench_system

from localsystem.api import RotationApi
from localsystem.system import DemoAccount, LocalSystem

MEMBERS = [f"member{n:02d}@example.com" for n in range(20)]
WEEKS = 26
WARM_UP = 10


def seed(api: RotationApi, account: DemoAccount) -> str:
    """The benchmark's rotation, planned to its horizon, with its PagerDuty sync configured."""
    today = datetime.now(UTC).date()
    rotation = api.create_rotation(
        "Bench rotation",
        "Europe/Berlin",
        f"{today - timedelta(days=today.weekday())}T09:00:00",
        period="P1D",
        coverage=("08:00:00", "20:00:00"),
        backup=True,
        horizon_days=7 * WEEKS,
    )
    for n, email in enumerate(MEMBERS):
        api.add_member(rotation["id"], email, f"Member {n}", "Europe/Berlin")
    api.configure_own(rotation["id"], account.subdomain, account.api_key)  # the key is checked
    return str(rotation["id"])


def signed_in(web_url: str, email: str) -> httpx.Client:
    browser = httpx.Client(base_url=web_url, timeout=30.0)
    page = browser.get("/signin")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = browser.post("/signin", data={"email": email, "csrf_token": csrf, "next": "/"})
    assert response.status_code == 303, f"sign-in answered {response.status_code}"
    return browser


def timed(call: Callable[[], object], requests: int) -> list[float]:
    """Milliseconds per call, after a warm-up."""
    timings = []
    for index in range(requests + WARM_UP):
        started = time.perf_counter()
        call()
        if index >= WARM_UP:
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def page_timings(system: LocalSystem, rotation_id: str, requests: int) -> list[float]:
    browser = signed_in(system.web_url, MEMBERS[0])
    try:
        first = browser.get(f"/rotations/{rotation_id}")
        assert first.status_code == 200, first.text[:300]
        assert first.text.count('data-shift="') >= 7 * WEEKS - 1, "every shift of 26 weeks is on the page"
        assert all(m in first.text for m in MEMBERS), "every member is on the page"

        def page() -> None:
            response = browser.get(f"/rotations/{rotation_id}")
            assert response.status_code == 200, response.text[:300]

        return timed(page, requests)
    finally:
        browser.close()


def api_timings(system: LocalSystem, rotation_id: str, requests: int) -> dict[str, list[float]]:
    """The calls the page makes, one at a time (the page makes the last four at once)."""
    now = datetime.now(UTC)
    window = {"since": now.isoformat(), "until": (now + timedelta(weeks=WEEKS)).isoformat()}
    base = f"/v1/rotations/{rotation_id}"
    calls = {
        "GET rotation": (base, {}),
        "GET shifts": (f"{base}/shifts", window),
        "GET oncall (primary)": (f"{base}/oncall", {**window, "role": "primary"}),
        "GET oncall (backup)": (f"{base}/oncall", {**window, "role": "backup"}),
        "GET pagerduty": (f"{base}/pagerduty", {}),
    }
    headers = {"Authorization": f"Bearer {system.token(MEMBERS[0])}"}
    with httpx.Client(base_url=system.api_url, headers=headers, timeout=30.0) as http:

        def call(path: str, params: dict[str, str]) -> Callable[[], object]:
            return lambda: http.get(path, params=params).raise_for_status()

        return {name: timed(call(path, params), requests) for name, (path, params) in calls.items()}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(ms: list[float]) -> str:
    p50, p95, p99 = statistics.median(ms), percentile(ms, 0.95), percentile(ms, 0.99)
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    load = os.getloadavg()
    with bench_system(services=("rotation-service", "oncall-web")) as system:
        api = RotationApi(system.api_url, system.token(MEMBERS[0]))
        try:
            rotation_id = seed(api, system.config.account)
        finally:
            api.close()
        cpu_before = system.cpu_seconds()
        page = page_timings(system, rotation_id, arguments.requests)
        cpu_after = system.cpu_seconds()
        calls = api_timings(system, rotation_id, arguments.requests)
    load_after = os.getloadavg()
    p95 = percentile(page, 0.95)
    print(
        f"rotation page, {len(MEMBERS)} members, {WEEKS} weeks, web UI and rotation service on PostgreSQL: "
        f"{len(page)} requests, {summary(page)} (target p95 < 200 ms: {'met' if p95 < 200 else 'NOT met'})"
    )
    pages = arguments.requests + WARM_UP + 1
    for name in ("rotation-service", "oncall-web"):
        before, after = cpu_before.get(name), cpu_after.get(name)
        if before is not None and after is not None:
            print(f"  CPU per page in {name}: {(after - before) * 1000 / pages:.1f} ms")
    for name, ms in calls.items():
        print(f"  {name}: {summary(ms)}")
    print(
        f"load average (1, 5, 15 min): before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
    )


if __name__ == "__main__":
    main()
