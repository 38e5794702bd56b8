"""Users over HTTP: duplicates, pagination, query, accounts, From."""

from __future__ import annotations

import httpx
import pytest

from pagerduty_sim.testing import RunningSimulator, run_simulator


def test_duplicate_email_is_400_case_insensitively(client: httpx.Client, make_user) -> None:
    make_user("Ann", "ann@example.com")
    response = client.post(
        "/users", json={"user": {"type": "user", "name": "Ann 2", "email": "ANN@Example.com"}}
    )
    assert response.status_code == 400
    assert response.json()["error"]["errors"] == ["Email has already been taken"]
    assert response.json()["error"]["code"] == 2001


def test_pagination_limit_offset_more_and_total(client: httpx.Client, make_user) -> None:
    created = [make_user(f"user{i:03d}") for i in range(30)]
    first = client.get("/users", params={"total": "true"}).json()
    assert (first["limit"], first["offset"], first["more"], first["total"]) == (25, 0, True, 30)
    second = client.get("/users", params={"offset": 25, "limit": 25}).json()
    assert second["more"] is False
    assert second["total"] is None
    assert [u["id"] for u in first["users"] + second["users"]] == created
    assert client.get("/users", params={"limit": 500}).json()["limit"] == 100


def test_offset_plus_limit_beyond_10000_is_400(client: httpx.Client) -> None:
    assert client.get("/users", params={"offset": 9990, "limit": 25}).status_code == 400
    assert client.get("/users", params={"offset": 9975, "limit": 25}).status_code == 200


def test_query_matches_names_and_emails(client: httpx.Client, make_user) -> None:
    make_user("Grace Hopper", "grace@navy.example")
    make_user("Alan Turing", "alan@bletchley.example")
    by_name = client.get("/users", params={"query": "hopper"}).json()["users"]
    by_email = client.get("/users", params={"query": "BLETCHLEY"}).json()["users"]
    assert [u["name"] for u in by_name] == ["Grace Hopper"]
    assert [u["name"] for u in by_email] == ["Alan Turing"]


def test_get_update_delete(client: httpx.Client, make_user) -> None:
    user_id = make_user("Bea")
    updated = {"user": {"type": "user", "name": "Bea B", "email": "bea@example.com", "job_title": "SRE"}}
    assert client.put(f"/users/{user_id}", json=updated).json()["user"]["name"] == "Bea B"
    assert client.get(f"/users/{user_id}").json()["user"]["job_title"] == "SRE"
    assert client.delete(f"/users/{user_id}").status_code == 204
    missing = client.get(f"/users/{user_id}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == 2100


def test_accounts_are_isolated_and_eu_links_use_the_eu_domain(sim: RunningSimulator, make_user) -> None:
    make_user("Only In Acme")
    with httpx.Client(
        base_url=sim.eu_base_url, headers={"Authorization": "Token token=eu-key"}, verify=sim.verify
    ) as eu:
        assert eu.get("/users").json()["users"] == []
        created = eu.post("/users", json={"user": {"type": "user", "name": "Eu", "email": "eu@example.com"}})
    assert created.json()["user"]["html_url"].startswith("https://euco.eu.pagerduty.com/users/")
    assert created.json()["user"]["self"].startswith("https://api.eu.pagerduty.com/users/")


def test_body_not_matching_the_document_is_400_with_reasons(client: httpx.Client) -> None:
    response = client.post("/users", json={"user": {"type": "user", "name": "No Email"}})
    assert response.status_code == 400
    assert any("email" in reason for reason in response.json()["error"]["errors"])


def test_users_me_with_an_account_key_is_400_with_a_plain_string_error(client: httpx.Client) -> None:
    response = client.get("/users/me")
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)


@pytest.mark.parametrize(
    ("from_header", "status"), [(None, 400), ("nobody@example.com", 400), ("boss@x.io", 201)]
)
def test_strict_from_requires_an_account_users_email(from_header: str | None, status: int) -> None:
    with run_simulator(["acme:k"], strict_from=True) as running:
        first = httpx.post(
            f"{running.base_url}/users",
            json=_user("boss@x.io"),
            headers=_from("boss@x.io"),
            verify=running.verify,
        )
        assert first.status_code == 201
        headers = {"Authorization": "Token token=k", **({"From": from_header} if from_header else {})}
        body = {"user": {"type": "user", "name": "New", "email": "new@example.com"}}
        assert (
            httpx.post(
                f"{running.base_url}/users", json=body, headers=headers, verify=running.verify
            ).status_code
            == status
        )


def _user(email: str) -> dict:
    return {"user": {"type": "user", "name": email.split("@")[0], "email": email}}


def _from(email: str) -> dict[str, str]:
    return {"Authorization": "Token token=k", "From": email}
