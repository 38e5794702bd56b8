"""Shared fixtures: a running simulator with one account, and an HTTP client for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pagerduty_sim.testing import RunningSimulator, run_simulator

API_KEY = "test-key"
READ_ONLY_KEY = "read-only-key"


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with run_simulator(
        [f"acme:{API_KEY}", "euco:eu-key:eu"], read_only_keys=[f"acme:{READ_ONLY_KEY}"]
    ) as running:
        yield running


def pd_headers(key: str = API_KEY) -> dict[str, str]:
    return {
        "Authorization": f"Token token={key}",
        "Accept": "application/vnd.pagerduty+json;version=2",
        "From": "admin@example.com",
    }


@pytest.fixture
def client(sim: RunningSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers=pd_headers(), verify=sim.verify) as http:
        yield http


@pytest.fixture
def api_key() -> str:
    return API_KEY


@pytest.fixture
def make_user(client: httpx.Client):
    """Create a user through the API and return its id."""

    def create(name: str, email: str | None = None) -> str:
        user = {"type": "user", "name": name, "email": email or f"{name.lower()}@example.com"}
        response = client.post("/users", json={"user": user})
        assert response.status_code == 201, response.text
        return str(response.json()["user"]["id"])

    return create
