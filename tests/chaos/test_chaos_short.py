"""The short fault run (`make chaos` runs the full one): the whole system with two processes of each
service on its own Kafka and PostgreSQL, changes flowing while processes are SIGKILLed, Kafka is
stopped, PostgreSQL restarts, the simulator fails, and PagerDuty is edited by hand. Afterwards every
schedule equals the scheduler to the second, nothing acknowledged is lost and nothing is duplicated."""

from __future__ import annotations

import json
import shutil
import uuid

import pytest
from chaos_infra import REPO
from chaos_run import KEY_LIMIT_PER_MINUTE, SHORT, run, table, timeline_difference

pytestmark = pytest.mark.e2e


def test_the_comparison_counts_seconds_with_a_different_set_of_people() -> None:
    expected = [(0, 100, "a@x"), (100, 200, "b@x")]
    assert timeline_difference(expected, expected, 0, 200) == 0
    assert timeline_difference(expected, [(0, 90, "a@x"), (90, 200, "b@x")], 0, 200) == 10
    assert timeline_difference(expected, [(0, 100, "a@x")], 0, 200) == 100
    also_c = [(0, 100, "a@x"), (100, 200, "b@x"), (150, 160, "c@x")]
    assert timeline_difference(expected, also_c, 0, 200) == 10
    assert timeline_difference(expected, expected, 50, 150) == 0
    assert timeline_difference([(0, 100, "a@x")], [(0, 100, "b@x")], 50, 150) == 50


def test_the_short_fault_run_leaves_pagerduty_equal_to_the_scheduler() -> None:
    state_dir = REPO / ".local" / "chaos" / f"test-{uuid.uuid4().hex[:6]}"
    report = run(SHORT, state_dir)
    print(table(report))
    (REPO / ".local" / "chaos").mkdir(parents=True, exist_ok=True)
    (REPO / ".local" / "chaos" / "report-short.json").write_text(json.dumps(report, indent=2) + "\n")

    assert report["changes_made"] >= 30, "changes flowed through the faults"
    assert report["changes_lost"] == 0
    assert report["duplicate_users"] == 0
    assert report["duplicate_schedules"] == 0
    assert report["differing_seconds"] == 0, report["differing_by_schedule"]
    assert report["max_requests_per_key_minute"] <= KEY_LIMIT_PER_MINUTE
    kinds = " ".join(fault["fault"] for fault in report["faults"])
    for kind in ("SIGKILL", "Kafka", "PostgreSQL", "5xx", "layer", "schedule deleted", "user deleted"):
        assert kind in kinds
    assert all(f["changes_during"] > 0 for f in report["faults"] if "SIGKILL" in f["fault"]), "mid-stream"
    hand_edits = [f for f in report["faults"] if f["fault"].startswith("by hand")]
    assert all(f["differing_seconds_made"] > 0 for f in hand_edits), "each hand edit made PagerDuty differ"
    served = report["pagerduty_faults_served"]
    for kind in ("5xx", "429", "answer lost"):
        assert served.get(kind, 0) > 0, f"the simulator served {kind} answers"
    shutil.rmtree(state_dir)  # the processes' logs are kept only when the run failed
