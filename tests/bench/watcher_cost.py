"""What the latency bench's watchers cost, in isolation: a simulator process with SCHEDULES schedules,
each written once a second (LAG after the change is expected, as after the API's answer), watched by
the bench's ScheduleWatcher for SECONDS; prints the CPU seconds of this process (writer + watchers)
and of the simulator.

`--mode longpoll` uses tests/bench/latency.py; `--mode poll100ms` the 100 ms polling watcher of an
older commit (`--old-commit`); `--mode none` writes without watching (the writer's own share).
Not part of `make bench`: `uv run python tests/bench/watcher_cost.py --mode longpoll`.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from localsystem.pagerduty import PagerDutyView
from localsystem.processes import pid_cpu_seconds

KEY = "cost-key"
HERE = Path(__file__).parent


def _module(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _watcher_module(mode: str, old_commit: str, scratch: Path) -> ModuleType:
    if mode != "poll100ms":
        return _module(HERE / "latency.py", "bench_latency")
    old = scratch / "latency_old.py"
    old.write_bytes(
        subprocess.run(
            ["git", "show", f"{old_commit}:tests/bench/latency.py"], check=True, capture_output=True
        ).stdout
    )
    return _module(old, "bench_latency_old")


def _cpu_of(pid: int) -> float:
    return pid_cpu_seconds(pid) or 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _layer(user: str, layer_id: str | None = None) -> dict[str, Any]:
    return {
        "schedule": {
            "name": "Ops",
            "type": "schedule",
            "time_zone": "UTC",
            "schedule_layers": [
                {
                    "name": "rota",
                    "start": "2024-01-01T00:00:00Z",
                    "rotation_virtual_start": "2024-01-01T00:00:00Z",
                    "rotation_turn_length_seconds": 86400,
                    "users": [{"user": {"id": user, "type": "user_reference"}}],
                    **({"id": layer_id} if layer_id else {}),
                }
            ],
        }
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["longpoll", "poll100ms", "none"], required=True)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--schedules", type=int, default=20)
    parser.add_argument("--old-commit", default="84e6c4d")
    parser.add_argument(
        "--lag-ms", type=float, default=200.0, help="answer -> write, as the system under test takes"
    )
    args = parser.parse_args()
    port = _free_port()
    binary = shutil.which("pagerduty-sim", path=str(Path(sys.executable).parent))
    assert binary is not None
    sim = subprocess.Popen([binary, "--port", str(port), "--account", f"acme:{KEY}"])
    base = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory() as scratch:
            _run(args, sim.pid, base, _watcher_module(args.mode, args.old_commit, Path(scratch)))
    finally:
        sim.terminate()
        sim.wait(10)


def _run(args: argparse.Namespace, sim_pid: int, base: str, latency: ModuleType) -> None:
    headers = {"Authorization": f"Token token={KEY}", "From": "a@example.com"}
    client = httpx.Client(base_url=base, headers=headers, timeout=30)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.get("/_sim/users").raise_for_status()
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "simulator did not start"
            time.sleep(0.05)
    users = [
        client.post("/users", json={"user": {"type": "user", "name": n, "email": f"{n}@example.com"}}).json()[
            "user"
        ]["id"]
        for n in ("ann", "bob")
    ]
    schedules = [
        client.post("/schedules", json=_layer(users[0])).json()["schedule"] for _ in range(args.schedules)
    ]
    view = PagerDutyView(base, KEY)
    seen: list[Any] = []
    watchers = {s["id"]: latency.ScheduleWatcher(view, s["id"], seen) for s in schedules}
    stop = threading.Event()
    threads = []
    if args.mode != "none":
        for watcher in watchers.values():
            target = (lambda w=watcher: w.run(stop)) if args.mode == "poll100ms" else watcher.run
            threads.append(threading.Thread(target=target, daemon=True))
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=14)
    for thread in threads:
        thread.start()
    cpu0, sim0, wall0 = time.process_time(), _cpu_of(sim_pid), time.monotonic()
    total = int(args.seconds * args.schedules)
    lag_s = args.lag_ms / 1000

    def write(schedule: dict[str, Any], user: str) -> None:
        time.sleep(lag_s)  # the system under test syncing after the API answered
        layer_id = schedule["schedule_layers"][0]["id"]
        client.put(f"/schedules/{schedule['id']}", json=_layer(user, layer_id)).raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        for index in range(total):
            time.sleep(max(0.0, wall0 + index / args.schedules - time.monotonic()))
            schedule = schedules[index % len(schedules)]
            user = users[(index // len(schedules) + 1) % 2]
            if args.mode != "none":
                pending = latency.Pending(day, day + timedelta(days=1), user, time.monotonic())
                watchers[schedule["id"]].expect("shift", pending)
            pool.submit(write, schedule, user)
    stop.set()
    for watcher in watchers.values():
        if hasattr(watcher, "finish"):
            watcher.finish()
    for thread in threads:
        thread.join(40)
    cpu, sim_cpu, wall = time.process_time() - cpu0, _cpu_of(sim_pid) - sim0, time.monotonic() - wall0
    delays = sorted(_delay_s(s) for s in seen)
    p50 = delays[len(delays) // 2] * 1000 if delays else float("nan")
    print(
        f"mode={args.mode} writes={total} seen={len(seen)} wall={wall:.1f}s "
        f"bench_cpu={cpu:.2f}s ({cpu / wall:.3f} cores) sim_cpu={sim_cpu:.2f}s ({sim_cpu / wall:.3f} cores) "
        f"seen_p50={p50:.0f}ms"
    )
    view.close()
    client.close()


def _delay_s(seen: Any) -> float:
    """The watcher's delay of one change, whichever watcher (polling or long-poll) recorded it."""
    delay = getattr(seen, "seen_s", None)
    return float(delay if delay is not None else getattr(seen, "polled_s", 0.0))


if __name__ == "__main__":
    main()
