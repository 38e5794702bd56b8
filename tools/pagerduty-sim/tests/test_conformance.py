"""Every response body of the covered operations validates against PagerDuty's OpenAPI document.

The document is the committed subset (`pagerduty_sim.openapi_subset`), so these tests run on any checkout.

The simulator's request log does not keep response bodies, so each call goes through `exchange`,
which records (method, path template, status, body) for validation at the end.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pagerduty_sim.http.endpoints import ROUTES
from pagerduty_sim.openapi import load_document
from pagerduty_sim.openapi_subset import (
    Source,
    make_subset,
    render,
    served_operations,
    subset_path,
    unresolved_refs,
)
from pagerduty_sim.testing import RunningSimulator


class Recorder:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.seen: list[tuple[str, str, int, Any]] = []
        self.legacy_overrides: list[Any] = []

    def exchange(self, method: str, template: str, path: str, expected: int, **kw: Any) -> Any:
        response = self.client.request(method, path, **kw)
        assert response.status_code == expected, response.text
        body = response.json() if response.content else None
        self.seen.append((method, template, response.status_code, body))
        return body


def _user(name: str) -> dict[str, Any]:
    return {
        "user": {"type": "user", "name": name, "email": f"{name}@example.com", "time_zone": "Europe/London"}
    }


def _schedule(user_ids: list[str]) -> dict[str, Any]:
    layer = {
        "name": "Night",
        "start": "2024-01-01T00:00:00Z",
        "rotation_virtual_start": "2024-01-01T20:00:00Z",
        "rotation_turn_length_seconds": 86400,
        "users": [{"user": {"id": uid, "type": "user_reference"}} for uid in user_ids],
        "restrictions": [
            {"type": "daily_restriction", "start_time_of_day": "08:00:00", "duration_seconds": 32400},
            {"type": "weekly_restriction", "start_time_of_day": "20:00:00", "duration_seconds": 7200,
             "start_day_of_week": 6},
        ],
        "end": "2024-06-01T00:00:00Z",
    }  # fmt: skip
    return {
        "schedule": {
            "name": "Ops",
            "type": "schedule",
            "time_zone": "Europe/London",
            "schedule_layers": [layer],
        }
    }


def _walk_every_covered_operation(rec: Recorder) -> None:
    ann = rec.exchange("POST", "/users", "/users", 201, json=_user("ann"))["user"]["id"]
    bob = rec.exchange("POST", "/users", "/users", 201, json=_user("bob"))["user"]["id"]
    rec.exchange("POST", "/users", "/users", 400, json=_user("ann"))
    rec.exchange("GET", "/users", "/users", 200, params={"total": "true", "limit": 1})
    rec.exchange("GET", "/users/{id}", f"/users/{ann}", 200)
    rec.exchange("GET", "/users/{id}", "/users/PNOPE00", 404)
    rec.exchange("PUT", "/users/{id}", f"/users/{bob}", 200, json=_user("bob"))
    schedule = rec.exchange("POST", "/schedules", "/schedules", 201, json=_schedule([ann, bob]))["schedule"]
    sid, window = schedule["id"], {"since": "2024-01-01T00:00:00Z", "until": "2024-01-08T00:00:00Z"}
    rec.exchange("GET", "/schedules/{id}", f"/schedules/{sid}", 200)
    rec.exchange("GET", "/schedules/{id}", f"/schedules/{sid}", 200, params={**window, "overflow": "true"})
    rec.exchange("PUT", "/schedules/{id}", f"/schedules/{sid}", 200, json=_schedule([bob]))
    rec.exchange("GET", "/schedules", "/schedules", 200, params={"include[]": "schedule_layers"})
    rec.exchange(
        "POST", "/schedules/preview", "/schedules/preview", 200, params=window, json=_schedule([ann])
    )
    rec.exchange("GET", "/schedules/{id}/users", f"/schedules/{sid}/users", 200, params=window)
    override = {
        "start": "2024-02-01T00:00:00Z",
        "end": "2024-02-02T00:00:00Z",
        "user": {"id": ann, "type": "user_reference"},
    }
    created = rec.exchange(
        "POST",
        "/schedules/{id}/overrides",
        f"/schedules/{sid}/overrides",
        201,
        json={"overrides": [override]},
    )
    # The deprecated single form is not in the document; its `override` is checked against `Override`.
    legacy = rec.client.post(f"/schedules/{sid}/overrides", json={"override": override})
    assert legacy.status_code == 201
    rec.legacy_overrides.append(legacy.json()["override"])
    rec.exchange("GET", "/schedules/{id}/overrides", f"/schedules/{sid}/overrides", 200, params=window)
    rec.exchange("GET", "/schedules/{id}", "/schedules/PNOPE00", 404)
    rec.exchange(
        "DELETE",
        "/schedules/{id}/overrides/{override_id}",
        f"/schedules/{sid}/overrides/{created[0]['override']['id']}",
        204,
    )
    rec.exchange("GET", "/abilities", "/abilities", 200)
    rec.exchange("DELETE", "/schedules/{id}", f"/schedules/{sid}", 204)
    rec.exchange("DELETE", "/users/{id}", f"/users/{bob}", 204)


def test_every_response_body_validates_against_the_document(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    sim.set_clock("2024-01-15T00:00:00Z", frozen=True)
    recorder = Recorder(client)
    _walk_every_covered_operation(recorder)
    document = load_document()
    problems = [
        (method, template, status, error)
        for method, template, status, body in recorder.seen
        if body is not None
        for error in document.response_errors(method, template, status, body)
    ]
    assert problems == [], "\n".join(map(str, problems))
    assert [
        error for item in recorder.legacy_overrides for error in document.schema_errors("Override", item)
    ] == []
    assert len([entry for entry in recorder.seen if entry[3] is not None]) == 18


def test_the_validator_rejects_a_non_conforming_body() -> None:
    document = load_document()
    assert document.response_errors("GET", "/users/{id}", 200, {"user": {"name": 5}}) != []
    assert document.response_errors("GET", "/users", 200, {"users": None}) != []


def test_rate_limit_body_validates(sim: RunningSimulator, client: httpx.Client) -> None:
    sim.faults(rate_limit_next=1)
    response = client.get("/users")
    document = load_document()
    assert document.response_errors("GET", "/users", 429, response.json()) == []


def _committed_subset() -> dict[str, Any]:
    return dict(json.loads(subset_path().read_text(encoding="utf-8")))


def test_the_subset_is_self_contained() -> None:
    subset = _committed_subset()
    assert unresolved_refs(subset) == []
    assert "Override" in subset["components"]["schemas"]  # checked directly above, not only via $ref


def test_unresolved_refs_finds_a_dangling_reference() -> None:
    subset = _committed_subset()
    del subset["components"]["schemas"]["ScheduleLayer"]
    assert unresolved_refs(subset) == ["#/components/schemas/ScheduleLayer"]


def test_the_subset_documents_every_operation_the_simulator_serves() -> None:
    paths = _committed_subset()["paths"]
    assert [
        (path, method) for path, method in served_operations(ROUTES) if method not in paths.get(path, {})
    ] == []
    assert ("/schedules/{id}/overrides", "post") in served_operations(ROUTES)


def test_the_subset_is_what_the_script_makes_of_it() -> None:
    """Re-making the subset from itself changes nothing: no component is missing, none is extra."""
    subset = _committed_subset()
    x_source = subset["info"]["x-source"]
    source = Source(x_source["repository"], x_source["path"], x_source["commit"])
    remade = render(make_subset(subset, served_operations(ROUTES), source))
    assert remade == subset_path().read_text(encoding="utf-8")
    assert source.repository == "github.com/PagerDuty/api-schema"
    assert len(source.commit) == 40


def test_the_source_is_read_from_repo_path_and_commit_lines() -> None:
    text = "repo: github.com/PagerDuty/api-schema\npath: reference/REST/openapiv3.json\ncommit: 91a06fb\n"
    assert Source.from_source_md(text) == Source(
        "github.com/PagerDuty/api-schema", "reference/REST/openapiv3.json", "91a06fb"
    )
    with pytest.raises(ValueError, match="commit"):
        Source.from_source_md("repo: r\npath: p\n")


def test_make_subset_drops_what_no_served_operation_references() -> None:
    subset = _committed_subset()
    subset["components"]["schemas"]["Unused"] = {"type": "object"}
    subset["paths"]["/unserved"] = {"get": {"responses": {}}}
    remade = make_subset(subset, served_operations(ROUTES), Source("r", "p", "c"))
    assert "Unused" not in remade["components"]["schemas"]
    assert "/unserved" not in remade["paths"]
    assert remade["info"]["x-source"]["commit"] == "c"
