"""The bench's latency: matching each change the watcher saw to the simulator's applied write."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from localsystem.pagerduty import PagerDutyView
from pagerduty_sim.testing import run_simulator


def _bench_module(name: str) -> ModuleType:
    """A bench script's module, loaded from its file (the bench runs as scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


latency = _bench_module("latency")
Seen, AppliedWrite = latency.Seen, latency.AppliedWrite


def seen(answered: float, not_shown_at: int | None, shown_at: int, schedule_id: str = "PS") -> Any:
    return Seen(schedule_id, answered, seen_s=0.5, not_shown_at=not_shown_at, shown_at=shown_at)


def test_the_one_write_between_the_revisions_the_watcher_saw_is_the_changes() -> None:
    writes = [AppliedWrite(4, 99.0), AppliedWrite(5, 100.08), AppliedWrite(6, 100.30)]
    match = latency.match_write(seen(100.0, not_shown_at=4, shown_at=5), writes)
    assert match is not None
    assert match.candidates == 1
    assert abs(match.latency_s - 0.08) < 1e-9


def test_writes_applied_before_the_answer_cannot_show_the_change() -> None:
    writes = [AppliedWrite(7, 99.9), AppliedWrite(8, 100.2)]
    match = latency.match_write(seen(100.0, not_shown_at=None, shown_at=8), writes)
    assert match is not None
    assert (match.candidates, round(match.latency_s, 6)) == (1, 0.2)


def test_several_candidate_writes_count_the_latest_an_upper_bound() -> None:
    writes = [AppliedWrite(2, 100.05), AppliedWrite(3, 100.12), AppliedWrite(4, 100.4)]
    match = latency.match_write(seen(100.0, not_shown_at=1, shown_at=3), writes)
    assert match is not None
    assert (match.candidates, round(match.latency_s, 6)) == (2, 0.12)


def test_no_write_in_the_span_is_unmatched_and_kept_out_of_the_measurement() -> None:
    changes = [seen(10.0, 1, 2, "PA"), seen(11.0, 3, 4, "PB"), seen(12.0, 5, 6, "PA")]
    writes = {"PA": [AppliedWrite(2, 10.1), AppliedWrite(6, 9.0)], "PB": [AppliedWrite(4, 11.25)]}
    matched = latency.match_all(changes, writes, started=5.0)
    assert [(at, round(lat, 6)) for at, lat in matched.applied] == [(5.0, 0.1), (6.0, 0.25)]
    assert (matched.unmatched, matched.ambiguous) == (1, 0)


def test_windows_group_latencies_by_when_the_api_answered() -> None:
    assert latency.windows([(0.5, 0.1), (9.9, 0.2), (25.0, 0.3)], 10.0) == [[0.1, 0.2], [], [0.3]]


def test_a_change_applied_by_the_real_simulator_matches_its_write() -> None:
    with _one_schedule() as (_sim, client, view, created, bob):
        watcher = latency.ScheduleWatcher(view, created["id"], [])
        shift_start = _day() + timedelta(days=14)
        watcher.expect(
            "shift", latency.Pending(shift_start, shift_start + timedelta(days=1), bob, time.monotonic())
        )
        watcher._look_once()  # renders without the change: the lower end of the span
        layer_id = created["schedule_layers"][0]["id"]
        assert client.put(f"/schedules/{created['id']}", json=_schedule([bob], layer_id)).status_code == 200
        watcher._look_once()  # long-polls after revision 0: the write's revision answers

        [change] = watcher.seen
        writes = [AppliedWrite.of(raw) for raw in view.schedule_writes(created["id"])]
        matched = latency.match_all([change], {created["id"]: writes}, started=change.answered)
        view.close()

    assert (change.not_shown_at, change.shown_at) == (0, 1)
    [(_, applied_s)] = matched.applied
    assert 0 <= applied_s <= change.seen_s
    assert (matched.unmatched, matched.ambiguous) == (0, 0)


def test_the_running_watcher_long_polls_and_is_woken_by_the_write() -> None:
    with _one_schedule() as (sim, client, view, created, bob):
        watcher = latency.ScheduleWatcher(view, created["id"], [])
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        shift_start = _day() + timedelta(days=14)
        watcher.expect(
            "shift", latency.Pending(shift_start, shift_start + timedelta(days=1), bob, time.monotonic())
        )
        deadline = time.monotonic() + 10
        while not sim.simulator.write_log.watched("acme", created["id"]):  # its long-poll waits
            assert time.monotonic() < deadline, "the watcher never long-polled"
            time.sleep(0.005)
        layer_id = created["schedule_layers"][0]["id"]
        assert client.put(f"/schedules/{created['id']}", json=_schedule([bob], layer_id)).status_code == 200
        watcher.finish()
        thread.join(timeout=latency.GIVE_UP_S)
        writes = [AppliedWrite.of(raw) for raw in view.schedule_writes(created["id"])]
        view.close()

    assert not thread.is_alive()
    [change] = watcher.seen
    assert (change.not_shown_at, change.shown_at) == (0, 1)
    assert latency.match_write(change, writes) is not None


@contextmanager
def _one_schedule() -> Iterator[tuple[Any, httpx.Client, PagerDutyView, dict[str, Any], str]]:
    """A simulator with one schedule of ann and the user bob: (simulator, API client, view, the
    schedule as created, bob's id)."""
    key = "latency-key"
    with (
        run_simulator([f"acme:{key}"]) as sim,
        httpx.Client(
            base_url=sim.base_url, headers={"Authorization": f"Token token={key}", "From": "a@example.com"}
        ) as client,
    ):
        ann, bob = (_user(client, name) for name in ("ann", "bob"))
        created = client.post("/schedules", json=_schedule([ann])).json()["schedule"]
        yield sim, client, PagerDutyView(sim.base_url, key), created, bob


def _day() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _user(client: httpx.Client, name: str) -> str:
    user = {"type": "user", "name": name, "email": f"{name}@example.com"}
    return str(client.post("/users", json={"user": user}).json()["user"]["id"])


def _schedule(users: list[str], layer_id: str | None = None) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "name": "rota",
        "start": "2024-01-01T00:00:00Z",
        "rotation_virtual_start": "2024-01-01T00:00:00Z",
        "rotation_turn_length_seconds": 86400,
        "users": [{"user": {"id": uid, "type": "user_reference"}} for uid in users],
        **({"id": layer_id} if layer_id else {}),
    }
    return {"schedule": {"name": "Ops", "type": "schedule", "time_zone": "UTC", "schedule_layers": [layer]}}
