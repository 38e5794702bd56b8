"""The pages against an in-memory stand-in of the rotation service's API (an httpx transport)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from web_pages import csrf, page_client, sign_in

from oncall_platform.tokens import DEVELOPMENT_JWT_SECRET

ROTATION = {
    "id": "r1",
    "name": "Payments",
    "time_zone": "Europe/Berlin",
    "first_shift_start": "2026-11-30T09:00:00",
    "period": "P7D",
    "handoffs": ["PT0S"],
    "coverage": None,
    "backup": False,
    "horizon_days": 42,
    "admins": ["lead@example.com"],
    "members": [],
}


class FakeApi:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.integration: dict[str, object] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        email = jwt.decode(request.headers["Authorization"].split()[1], DEVELOPMENT_JWT_SECRET, ["HS256"])[
            "email"
        ]
        path = request.url.path
        if path == "/v1/rotations":
            return httpx.Response(200, json=[ROTATION])
        if path == "/v1/rotations/r1":
            return httpx.Response(200, json=ROTATION)
        if path in {"/v1/rotations/r1/shifts", "/v1/rotations/r1/oncall"}:
            return httpx.Response(200, json=[])
        if path == "/v1/rotations/r1/pagerduty":
            if self.integration is not None:
                return httpx.Response(200, json=self.integration)
            return httpx.Response(404, json={"detail": "not configured"})
        if path == "/v1/rotations/r1/admins" and request.method == "PUT":
            return httpx.Response(403, json={"detail": f"{email} is not an administrator of r1"})
        return httpx.Response(404, json={"detail": "unknown"})


@pytest.fixture
def fake_api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def client(fake_api: FakeApi) -> TestClient:
    return page_client(fake_api)


def test_pages_need_a_sign_in_and_carry_the_security_headers(client: TestClient) -> None:
    response = client.get("/rotations/r1")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/rotations/r1"
    page = client.get("/signin")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie, "development runs on plain http"


def test_a_form_without_its_csrf_token_changes_nothing(client: TestClient, fake_api: FakeApi) -> None:
    sign_in(client, "lead@example.com")
    before = len(fake_api.requests)
    response = client.post("/rotations/r1/settings/admins", data={"admins": "evil@example.com"})
    assert response.status_code == 403
    assert len(fake_api.requests) == before, "nothing reached the API"
    refused = client.post("/signin", data={"email": "x@example.com", "csrf_token": "forged"})
    assert refused.status_code == 403


def test_sign_in_sends_a_token_for_that_person_and_lists_rotations(
    client: TestClient, fake_api: FakeApi
) -> None:
    sign_in(client, "Lead@Example.com")
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="/rotations/r1"' in page.text
    assert "lead@example.com" in page.text
    assert fake_api.requests[-1].url.path == "/v1/rotations"


def test_an_invalid_email_is_named_next_to_its_field(client: TestClient) -> None:
    token = csrf(client.get("/signin").text)
    response = client.post("/signin", data={"email": "not-an-address", "csrf_token": token})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert 'id="email-error"' in response.text


def test_a_non_admin_sees_the_settings_read_only_with_the_admins_named(client: TestClient) -> None:
    sign_in(client, "ana@example.com")
    page = client.get("/rotations/r1/settings").text
    assert "only the administrators (lead@example.com) can" in page
    assert "Start PagerDuty Updates" not in page
    assert 'name="admins"' not in page


def test_the_api_refusal_is_shown_in_words(client: TestClient) -> None:
    sign_in(client, "lead@example.com")
    token = csrf(client.get("/rotations/r1/settings").text)
    response = client.post(
        "/rotations/r1/settings/admins", data={"admins": "a@example.com", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "is not an administrator of r1" in response.text


def test_sign_in_goes_back_only_to_this_site(client: TestClient) -> None:
    token = csrf(client.get("/signin").text)
    response = client.post(
        "/signin", data={"email": "a@example.com", "csrf_token": token, "next": "//evil.example"}
    )
    assert response.headers["location"] == "/"


def test_the_calendar_shows_no_more_weeks_than_the_rotation_plans(
    client: TestClient, fake_api: FakeApi
) -> None:
    sign_in(client, "lead@example.com")
    page = client.get("/rotations/r1?weeks=26").text
    assert 'aria-label="Rotation Settings"' in page
    [asked] = [r for r in fake_api.requests if r.url.path == "/v1/rotations/r1/shifts"]
    since, until = (datetime.fromisoformat(asked.url.params[k]) for k in ("since", "until"))
    assert until - since == timedelta(weeks=6), "the rotation plans 42 days ahead"


def test_the_sync_status_names_whom_it_waits_for(client: TestClient, fake_api: FakeApi) -> None:
    fake_api.integration = {
        "rotation_id": "r1",
        "mode": "own",
        "target_rotation_id": "r1",
        "schedule_name": "Payments",
        "account": {"subdomain": "acme", "region": "eu"},
        "configured_at": "2026-12-01T09:00:00Z",
        "schedules": [],
        "last_sync": None,
        "last_error": None,
        "waiting_for": [
            {
                "email": "ben@example.com",
                "name": "Ben <b>",
                "provisioning": "failed",
                "reason": "PagerDuty refused the e-mail",
                "retryable": True,
            }
        ],
    }
    sign_in(client, "lead@example.com")

    fragment = client.get("/rotations/r1/sync-status")

    assert fragment.status_code == 200
    assert "Waiting for PagerDuty users" in fragment.text
    assert "waiting for 1 person to get a PagerDuty user" in fragment.text
    assert (
        "<strong>Ben &lt;b&gt; (ben@example.com)</strong>: PagerDuty could not create their user: "
        "PagerDuty refused the e-mail (trying again)" in fragment.text
    )
