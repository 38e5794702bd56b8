"""Authentication, read-only keys, the rate limit and injected faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from pagerduty_sim.ratelimit import RateLimiter
from pagerduty_sim.testing import RunningSimulator


@pytest.mark.parametrize("authorization", [None, "Token token=wrong", "Bearer test-key", "token=test-key"])
def test_missing_or_malformed_key_is_401(sim: RunningSimulator, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(f"{sim.base_url}/users", headers=headers, verify=sim.verify)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 2006


def test_read_only_key_reads_but_gets_403_on_writes(sim: RunningSimulator) -> None:
    with httpx.Client(
        base_url=sim.base_url, headers={"Authorization": "Token token=read-only-key"}, verify=sim.verify
    ) as http:
        assert http.get("/users").status_code == 200
        denied = http.post("/users", json={"user": {"type": "user", "name": "X", "email": "x@example.com"}})
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == 2010
    assert sim.users("test-key") == []


def test_the_961st_request_in_a_minute_gets_429(sim: RunningSimulator, client: httpx.Client) -> None:
    sim.set_clock("2024-01-01T00:00:00Z", frozen=True)
    for served in range(960):
        response = client.get("/abilities")
        assert response.status_code == 200, served
    assert response.headers["ratelimit-remaining"] == "0"
    limited = client.get("/abilities")
    assert limited.status_code == 429
    assert limited.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    assert limited.headers["ratelimit-limit"] == "960"
    assert limited.headers["ratelimit-reset"] == "60"
    sim.advance(60)
    assert client.get("/abilities").status_code == 200


def test_rate_limit_counts_per_key_on_the_given_clock() -> None:
    limiter = RateLimiter(limit=2)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert [limiter.check("a", start).allowed for _ in range(3)] == [True, True, False]
    assert limiter.check("b", start).allowed
    later = limiter.check("a", start + timedelta(seconds=45))
    assert (later.allowed, later.reset_seconds) == (False, 15)
    assert limiter.check("a", start + timedelta(seconds=60)).allowed


def test_forced_faults_then_recovery(sim: RunningSimulator, client: httpx.Client) -> None:
    sim.faults(error_next=1, rate_limit_next=1)
    assert client.get("/users").status_code == 500
    forced = client.get("/users")
    assert forced.status_code == 429
    assert "ratelimit-limit" not in forced.headers
    assert client.get("/users").status_code == 200


def test_dropped_connection(sim: RunningSimulator, client: httpx.Client) -> None:
    sim.faults(drop_next=1)
    with pytest.raises(httpx.TransportError):
        client.get("/users")
    assert client.get("/users").status_code == 200


def test_a_lost_answer_is_a_transport_error_after_the_request_was_carried_out(
    sim: RunningSimulator, client: httpx.Client
) -> None:
    sim.faults(lose_answer_next=1)
    body = {"user": {"type": "user", "name": "Ada", "email": "ada@example.com", "time_zone": "UTC"}}
    with pytest.raises(httpx.TransportError):
        client.post("/users", json=body)
    assert [u["email"] for u in client.get("/users").json()["users"]] == ["ada@example.com"]
    assert [r["status"] for r in sim.requests() if r["method"] == "POST"] == ["answer lost"]


def test_faults_share_of_errors_is_seeded(sim: RunningSimulator, client: httpx.Client) -> None:
    sim.faults(error_rate=0.5, seed=7)
    statuses = [client.get("/users").status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35
    assert statuses.count(200) == 40 - statuses.count(500)
    sim.faults()
    assert client.get("/users").status_code == 200


def test_control_paths_are_separate_from_pagerduty_paths(sim: RunningSimulator, client: httpx.Client) -> None:
    assert client.get("/_sim/nothing").status_code == 404
    assert client.get("/no-such-pagerduty-path").json()["error"]["code"] == 2100


def test_each_region_is_a_separate_service_and_an_account_shows_its_owner() -> None:
    from pagerduty_sim.testing import run_simulator

    accounts = ["acme:us-key", "euro:eu-key:eu"]
    with run_simulator(accounts, owners=["acme:owner@acme.example", "euro:owner@euro.example"]) as sim:
        us, eu = ({"Authorization": f"Token token={key}"} for key in ("us-key", "eu-key"))
        assert httpx.get(f"{sim.base_url}/users", headers=eu, verify=sim.verify).status_code == 401
        assert httpx.get(f"{sim.eu_base_url}/users", headers=us, verify=sim.verify).status_code == 401
        [owner] = httpx.get(f"{sim.eu_base_url}/users", headers=eu, verify=sim.verify).json()["users"]
        assert owner["role"] == "owner"
        assert owner["html_url"].startswith("https://euro.eu.pagerduty.com/users/")
        [owner] = httpx.get(f"{sim.base_url}/users", headers=us, verify=sim.verify).json()["users"]
        assert owner["html_url"].startswith("https://acme.pagerduty.com/users/")
        sim.reset()
        assert [user["email"] for user in sim.users("us-key")] == ["owner@acme.example"]
