"""CPU each service process uses while nothing happens: the floor under every "CPU per change".

Starts a system like `make bench` does (PostgreSQL, the real broker, fresh topics and databases),
waits until it is up, then reads each process's CPU time over `--seconds` of quiet and prints the
cores used (1.0 = one core busy the whole time).

    set -a; . .local/env; set +a
    uv run python tests/bench/idle_cpu.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import time

from bench_system import bench_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=10.0, help="quiet seconds before measuring")
    args = parser.parse_args()
    with bench_system() as system:
        time.sleep(args.settle)  # start-up work (topic metadata, group joins) is not the idle floor
        before, started = system.cpu_seconds(), time.monotonic()
        time.sleep(args.seconds)
        after, elapsed = system.cpu_seconds(), time.monotonic() - started
    for name, seconds in after.items():
        used = (seconds or 0.0) - (before.get(name) or 0.0)
        print(f"{name:20} {used / elapsed:.3f} cores idle ({1000 * used / elapsed:.0f} ms CPU per second)")


if __name__ == "__main__":
    main()
