"""`make bench`: benchmarks on a system started like `make run` (PostgreSQL, the real broker).

Reports a table and writes tests/bench/results.json:
- latency from the API answering a shift change to the simulator applying the write after which its
  final schedule shows it (p50/p95/p99/max, the p99 of each 10 s), with the latency seen by polling
  every 100 ms as a cross-check, at a steady rate; PagerDuty requests per change and writes per
  affected schedule;
- the time to bring N rotations into PagerDuty from scratch against the 960 requests/minute floor, and
  the busiest minute of any key;
- peak resident memory (VmHWM) of each service process.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

# Run as a script: Python puts this folder on the import path, so its sibling modules import by name.
from backfill import Plan, backfill
from bench_system import bench_system
from consumers import committed_per_group, consumed_between, wait_until_caught_up
from cpu_sampler import CpuSampler
from latency import Target, future_shifts, percentile, run_changes
from prometheus_client.parser import text_string_to_metric_families
from requests_log import busiest_minute, is_schedule_write, requests_by_window

from localsystem.api import RotationApi
from localsystem.convergence import ScheduleFeed, wait_until_converged
from localsystem.pagerduty import PagerDutyView
from localsystem.system import LocalSystem
from localsystem.walkthrough import add_members, last_monday_0900
from oncall_testing.eventually import eventually_sync

RESULTS = Path(__file__).resolve().parent / "results.json"
RATE_LIMIT_PER_MIN = 960
MB = 1024 * 1024


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=20.0, help="changes per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of steady changes")
    parser.add_argument("--latency-rotations", type=int, default=20)
    parser.add_argument(
        "--latency-keys",
        type=int,
        default=2,
        help="PagerDuty API keys the latency rotations are spread over (one key allows 16 requests/s)",
    )
    parser.add_argument("--rotations", type=int, default=1000, help="rotations in the backfill (0 skips it)")
    parser.add_argument(
        "--knee",
        type=lambda text: [float(rate) for rate in text.split(",")],
        help="instead of one latency run, one per rate (e.g. 10,20,40,60,80), each on one rotation per "
        "change a second and enough keys that no key is asked for more than 12 writes a second",
    )
    parser.add_argument(
        "--background-rotations",
        type=int,
        default=0,
        help="rotations (5 members, no PagerDuty integration) created before the latency run",
    )
    parser.add_argument("--horizon-weeks", type=int, default=26, help="every rotation's planning horizon")
    parser.add_argument("--replicas", type=int, default=1, help="processes of each service with a database")
    parser.add_argument("--requests-log", type=Path, help="also write the backfill's PagerDuty requests here")
    return parser.parse_args()


def latency_targets(system: LocalSystem, api: RotationApi, count: int, horizon_weeks: int) -> list[Target]:
    """`count` rotations with their own schedules, spread round robin over the simulator's accounts."""
    accounts, zone = [system.config.account, *system.config.extra_accounts], "Europe/Paris"
    views = {a.subdomain: PagerDutyView(system.simulator_url, a.api_key) for a in accounts}

    def prepare(index: int) -> Target:
        account = accounts[index % len(accounts)]
        created = api.create_rotation(
            f"latency {index:02d}", zone, last_monday_0900(zone), horizon_days=7 * horizon_weeks
        )
        rotation = str(created["id"])
        members = [f"p{m}.l{index:02d}@bench.example.com" for m in range(5)]
        add_members(api, rotation, [(email, email.split("@")[0]) for email in members], zone)
        api.configure_own(rotation, account.subdomain, account.api_key)
        shifts = future_shifts(api, rotation, weeks=8)
        return Target(rotation, _schedule_id(api, rotation), members, shifts, views[account.subdomain])

    with ThreadPoolExecutor(max_workers=4) as pool:
        targets = list(pool.map(prepare, range(count)))
    for view in views.values():
        feeds = [
            ScheduleFeed(t.schedule_id, ((t.rotation_id, "primary"),)) for t in targets if t.view is view
        ]
        horizon = timedelta(weeks=horizon_weeks) - timedelta(days=12)
        comparisons = wait_until_converged(api, view, feeds, horizon, timeout_s=300)
        if not all(c.matches for c in comparisons):
            sys.exit(
                "PagerDuty does not match the scheduler before the latency run:\n" + comparisons[0].explain()
            )
    return targets


def _schedule_id(api: RotationApi, rotation_id: str, timeout_s: float = 120.0) -> str:
    def reported() -> list[str]:
        return [s["schedule_id"] for s in api.integration(rotation_id)["schedules"] if s.get("schedule_id")]

    found = eventually_sync(
        reported,
        within=timeout_s,
        what=f"a PagerDuty schedule reported for rotation {rotation_id}",
        interval=0.5,
    )
    return str(found[0])


def measure_latency(
    system: LocalSystem, api: RotationApi, pagerduty: PagerDutyView, args: argparse.Namespace
) -> dict[str, Any]:
    rotations = max(args.latency_rotations, int(max(args.knee or [0])))
    targets = latency_targets(system, api, rotations, args.horizon_weeks)
    views = {id(t.view): t.view for t in targets}.values()
    user_ids = {email: uid for view in views for uid, email in view.users_by_id().items()}
    # Steady changes: the services first consume what setting up the rotations published.
    config = system.config
    settle_s = wait_until_caught_up(config.kafka_bootstrap_servers, config.topic_prefix)
    if not args.knee:
        step = latency_step(system, api, pagerduty, targets, user_ids, args.rate, args.duration)
        return {**step, "settle_after_setup_s": settle_s}
    steps = []
    for rate in args.knee:
        print(f"  {rate:g} changes/s ...", flush=True)
        subset = targets[: int(rate)]
        steps.append(latency_step(system, api, pagerduty, subset, user_ids, rate, args.duration))
        wait_until_caught_up(config.kafka_bootstrap_servers, config.topic_prefix)
    held = [step["rate_per_s"] for step in steps if step["p99_ms"] < 1000]
    return {"steps": steps, "knee_rate_per_s": max(held, default=None), "settle_after_setup_s": settle_s}


def latency_step(
    system: LocalSystem,
    api: RotationApi,
    pagerduty: PagerDutyView,
    targets: list[Target],
    user_ids: dict[str, str],
    rate: float,
    duration_s: float,
) -> dict[str, Any]:
    """Steady changes at `rate` for `duration_s` over `targets`, one rotation each."""
    cpu_before = {**system.cpu_seconds(), "bench (measuring)": _own_cpu_seconds()}
    with CpuSampler(system.cpu_seconds) as sampler:
        result = run_changes(api, pagerduty, targets, user_ids, rate, duration_s)
    cpu_after = {**system.cpu_seconds(), "bench (measuring)": _own_cpu_seconds()}
    writes = [r for r in result.requests if is_schedule_write(r)]
    applied = result.changes - result.api_errors
    cpu = _cpu_used(cpu_before, cpu_after)
    return {
        "rate_per_s": rate,
        "rotations": len(targets),
        "api_keys": len({id(t.view) for t in targets}),
        "duration_s": duration_s,
        "changes": result.changes,
        "api_errors": result.api_errors,
        "not_seen_within_30s": result.not_seen,
        "measured": "API answer -> the simulator applying the write that made the change visible",
        **_latency_figures(result.latencies_s, result.windows(10.0)),
        "changes_without_a_matching_write": result.unmatched,
        "changes_matched_among_several_writes": result.ambiguous,
        # API answer -> the watcher's long-poll answer showing it (runs before 2026-12-03 polled every
        # 100 ms instead and reported that as `polled_every_100ms`).
        "seen_by_watcher": _latency_figures(
            result.seen_by_watcher_latencies_s, result.windows(10.0, seen_by_watcher=True)
        ),
        "cpu_seconds_per_process": cpu,
        "cpu_ms_per_change": _per_change(cpu, applied),
        "pagerduty_requests": len(result.requests),
        "requests_per_change": len(result.requests) / applied if applied else None,
        "writes": len(writes),
        "writes_per_affected_schedule_per_change": len(writes) / applied if applied else None,
        "cpu_cores_by_10s": _by_10s(sampler.per_second()),
        "cpu_cores_by_second": sampler.per_second(),
        "requests_by_10s": requests_by_window(result.requests, 10.0),
    }


def _by_10s(per_second: dict[str, list[float]]) -> dict[str, list[float]]:
    """Mean cores each group used in each 10 s of the run (to lay beside the p99 of each 10 s)."""
    return {
        name: [round(sum(series[i : i + 10]) / len(series[i : i + 10]), 2) for i in range(0, len(series), 10)]
        for name, series in per_second.items()
    }


SERVICES = ("rotation-service", "pd-sync-service", "user-provisioner")


def gc_pauses(system: LocalSystem) -> dict[str, dict[str, float]]:
    """Per service process, its garbage collector's pauses so far (`oncall_gc_pause_seconds`) by
    generation: how many, their total, and the bucket bound the longest stayed under."""
    found: dict[str, dict[str, float]] = {}
    for name in system.peak_rss_bytes():
        try:
            text = httpx.get(f"{system.url(name)}/metrics", timeout=10).text
        except httpx.HTTPError:
            continue
        samples = [
            sample
            for family in text_string_to_metric_families(text)
            if family.name == "oncall_gc_pause_seconds"
            for sample in family.samples
        ]
        figures: dict[str, float] = {}
        for generation in sorted({sample.labels["generation"] for sample in samples}):
            of_gen = [sample for sample in samples if sample.labels["generation"] == generation]
            count = next(sample.value for sample in of_gen if sample.name.endswith("_count"))
            total = next(sample.value for sample in of_gen if sample.name.endswith("_sum"))
            bounds = [
                float(sample.labels["le"])
                for sample in of_gen
                if sample.name.endswith("_bucket") and sample.value >= count
            ]
            figures[f"gen{generation} count"] = count
            figures[f"gen{generation} total_ms"] = 1000 * total
            figures[f"gen{generation} longest_under_ms"] = 1000 * min(bounds)
        found[name] = figures
    return found


def _per_change(cpu: dict[str, float | None], changes: int) -> dict[str, float]:
    """CPU milliseconds per change of each process, and of the services' processes together (replicas
    `<service>#<n>` included)."""
    if not changes:
        return {}
    per = {name: 1000 * (seconds or 0.0) / changes for name, seconds in cpu.items()}
    per["services together"] = sum(v for name, v in per.items() if name.split("#")[0] in SERVICES)
    return per


def create_background(api: RotationApi, count: int, horizon_weeks: int) -> float:
    """`count` rotations of 5 members without an integration (the rest of a large installation);
    returns the seconds it took."""
    zone = "Europe/Paris"
    started = time.monotonic()

    def create(index: int) -> None:
        created = api.create_rotation(
            f"background {index:05d}", zone, last_monday_0900(zone), horizon_days=7 * horizon_weeks
        )
        people = [(f"p{m}.b{index:05d}@bench.example.com", f"p{m} b{index:05d}") for m in range(5)]
        add_members(api, str(created["id"]), people, zone)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(create, range(count)))
    return time.monotonic() - started


def _latency_figures(latencies_s: list[float], windows: list[list[float]]) -> dict[str, Any]:
    return {
        "p50_ms": 1000 * percentile(latencies_s, 50),
        "p95_ms": 1000 * percentile(latencies_s, 95),
        "p99_ms": 1000 * percentile(latencies_s, 99),
        "max_ms": 1000 * max(latencies_s, default=float("nan")),
        "p99_ms_by_10s_of_the_run": [round(1000 * percentile(w, 99)) for w in windows if w],
    }


def _knee_rows(lat: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = [
        (
            f"{step['rate_per_s']:g} changes/s ({step['rotations']} rotations, {step['api_keys']} keys):"
            " p50 / p95 / p99 / max",
            "{p50_ms:.0f} / {p95_ms:.0f} / {p99_ms:.0f} / {max_ms:.0f} ms; CPU {cpu:.1f} ms/change".format(
                **step, cpu=step["cpu_ms_per_change"].get("services together", float("nan"))
            ),
            "",
        )
        for step in lat["steps"]
    ]
    knee = lat["knee_rate_per_s"]
    rows.append(("highest rate with p99 < 1 s", "none" if knee is None else f"{knee:g} changes/s", ""))
    return rows


def measure_backfill(
    system: LocalSystem, api: RotationApi, pagerduty: PagerDutyView, rotations: int, log_path: Path | None
) -> dict[str, Any]:
    plan = Plan(rotations)
    config = system.config
    bootstrap, prefix = config.kafka_bootstrap_servers, config.topic_prefix
    looks: dict[str, dict[str, int]] = {"before setup": committed_per_group(bootstrap, prefix)}

    def settle() -> float:
        looks["settle start"] = committed_per_group(bootstrap, prefix)
        waited = wait_until_caught_up(bootstrap, prefix)
        looks["settle end"] = committed_per_group(bootstrap, prefix)
        return waited

    result = backfill(api, pagerduty, config.account, plan, settle=settle)
    if log_path is not None:
        log_path.write_text(json.dumps(result.requests, indent=1) + "\n")
    sent = len(result.requests)
    floor_s = 60.0 * plan.minimal_requests / RATE_LIMIT_PER_MIN
    return {
        "rotations": rotations,
        "merged": plan.merged,
        "expected_schedules": plan.schedules,
        "schedules_found": result.schedules_found,
        "setup_s": result.setup_s,
        "settle_after_setup_s": result.settle_s,
        # Committed offsets per consumer group: what each service folded while the setup's events
        # were being consumed (the settle alone, and the setup plus the settle).
        "consumed_during_settle": consumed_between(
            looks["settle start"], looks["settle end"], result.settle_s
        ),
        "consumed_during_setup_and_settle": consumed_between(
            looks["before setup"], looks["settle end"], result.setup_s + result.settle_s
        ),
        "configure_s": result.configure_s,
        "backfill_s": result.backfill_s,
        "minimal_requests": plan.minimal_requests,
        "floor_s": floor_s,
        "ratio_to_floor": result.backfill_s / floor_s,
        "requests_sent": sent,
        "floor_for_requests_sent_s": 60.0 * sent / RATE_LIMIT_PER_MIN,
        "rate_limited_429": sum(1 for r in result.requests if r.get("status") == 429),
        "busiest_minute_per_key": busiest_minute(result.requests),
        "sample_checked": result.sample_checked,
        "sample_matching_to_the_second": result.sample_matching,
    }


def _cross_check_row(lat: dict[str, Any]) -> tuple[str, str, str]:
    """The watcher's own latency; older results polled every 100 ms and name it so."""
    if "seen_by_watcher" in lat:
        label, figures = (
            "cross-check, seen by the long-polling watcher: p50 / p95 / p99",
            lat["seen_by_watcher"],
        )
    else:
        label, figures = "cross-check, polled every 100 ms: p50 / p95 / p99", lat["polled_every_100ms"]
    return label, "{p50_ms:.0f} / {p95_ms:.0f} / {p99_ms:.0f} ms".format(**figures), ""


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []
    lat = results.get("latency")
    if lat and "steps" in lat:
        rows += _knee_rows(lat)
    elif lat:
        rows += [
            (
                f"swap -> applied PagerDuty write p50 / p95 / p99 ({lat['api_keys']} keys)",
                f"{lat['p50_ms']:.0f} / {lat['p95_ms']:.0f} / {lat['p99_ms']:.0f} ms",
                _met(lat["p99_ms"] < 200, "p99 < 200 ms"),
            ),
            ("max", f"{lat['max_ms']:.0f} ms", ""),
            (
                "p99 of each 10 s of the run",
                " / ".join(map(str, lat["p99_ms_by_10s_of_the_run"])) + " ms",
                "",
            ),
            (
                "changes without a matching write (among several)",
                f"{lat['changes_without_a_matching_write']} ({lat['changes_matched_among_several_writes']})",
                "",
            ),
            _cross_check_row(lat),
            ("changes (not seen within 30 s)", f"{lat['changes']} ({lat['not_seen_within_30s']})", ""),
            *(
                (f"cores used by {name}, each 10 s", " / ".join(f"{c:.2f}" for c in series), "")
                for name, series in lat["cpu_cores_by_10s"].items()
            ),
            (
                "CPU seconds during the run",
                ", ".join(f"{k} {v:.1f}" for k, v in lat["cpu_seconds_per_process"].items()),
                "",
            ),
            (
                "CPU ms per change",
                ", ".join(f"{k} {v:.1f}" for k, v in lat["cpu_ms_per_change"].items()),
                "",
            ),
            ("PagerDuty requests per change", f"{lat['requests_per_change']:.2f}", ""),
            (
                "writes per affected schedule per change",
                f"{lat['writes_per_affected_schedule_per_change']:.2f}",
                _met(lat["writes_per_affected_schedule_per_change"] <= 1, "<= 1"),
            ),
        ]
    back = results.get("backfill")
    if back:
        busiest = max(back["busiest_minute_per_key"].values(), default=0)
        rows += [
            (
                f"backfill of {back['rotations']} rotations",
                f"{back['backfill_s']:.0f} s (floor {back['floor_s']:.0f} s, x{back['ratio_to_floor']:.2f})",
                _met(back["ratio_to_floor"] <= 1.2, "<= 1.2x floor"),
            ),
            *(
                (
                    f"events consumed, setup + settle: {group}",
                    f"{c['events']:.0f} in {back['setup_s'] + back['settle_after_setup_s']:.0f} s"
                    f" ({c['events_per_s']:.0f}/s; settle alone"
                    f" {back['consumed_during_settle'].get(group, {}).get('events_per_s', 0):.0f}/s)",
                    "",
                )
                for group, c in back["consumed_during_setup_and_settle"].items()
            ),
            ("schedules created / expected", f"{back['schedules_found']} / {back['expected_schedules']}", ""),
            ("requests sent (429s)", f"{back['requests_sent']} ({back['rate_limited_429']})", ""),
            (
                "busiest minute of any key",
                f"{busiest} requests",
                _met(busiest <= RATE_LIMIT_PER_MIN, "<= 960"),
            ),
            (
                "sampled schedules equal to the scheduler",
                f"{back['sample_matching_to_the_second']} / {back['sample_checked']}",
                "",
            ),
        ]
    for name, peak in results["peak_rss_mb"].items():
        rows.append(
            (
                f"peak RSS {name}",
                f"{peak:.0f} MB" if peak else "?",
                _met(bool(peak) and peak < 300, "< 300 MB"),
            )
        )
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name.ljust(width)}  {value:<40} {verdict}" for name, value, verdict in rows)


def _cpu_used(before: dict[str, float | None], after: dict[str, float | None]) -> dict[str, float | None]:
    return {name: (after[name] or 0) - (before.get(name) or 0) for name in after}


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _met(ok: bool, target: str) -> str:
    return f"met ({target})" if ok else f"NOT MET ({target})"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)  # so the started processes are stopped


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    args = parse_args()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    results["options"] = {
        "replicas": args.replicas,
        "horizon_weeks": args.horizon_weeks,
        "background_rotations": args.background_rotations,
    }
    # No key asked for more than 12 writes a second (PagerDuty allows 16): the limit must not bind.
    keys = max(args.latency_keys, *(math.ceil(rate / 12) for rate in args.knee or [0]))
    with bench_system(accounts=keys, replicas=args.replicas) as system:
        token = system.token("bench@example.com")
        api = RotationApi(system.api_url, token, timeout_s=120)
        pagerduty = PagerDutyView(system.simulator_url, system.config.account.api_key)
        if args.background_rotations:
            print(f"{args.background_rotations} background rotations ...", flush=True)
            created_s = create_background(api, args.background_rotations, args.horizon_weeks)
            config = system.config
            settled_s = wait_until_caught_up(config.kafka_bootstrap_servers, config.topic_prefix, 3600)
            results["background"] = {
                "rotations": args.background_rotations,
                "created_s": created_s,
                "settle_s": settled_s,
            }
        print("latency run ...", flush=True)
        results["latency"] = measure_latency(system, api, pagerduty, args)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")  # kept even if the backfill fails
        if args.rotations:
            print(f"backfill of {args.rotations} rotations ...", flush=True)
            results["backfill"] = measure_backfill(system, api, pagerduty, args.rotations, args.requests_log)
        results["peak_rss_mb"] = {name: (peak or 0) / MB for name, peak in system.peak_rss_bytes().items()}
        results["gc_pauses"] = gc_pauses(system)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{table(results)}\n\nwritten to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
