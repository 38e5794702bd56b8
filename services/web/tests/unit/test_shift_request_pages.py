"""The shift-request pages against an in-memory stand-in of the API: a holder asks for a hand-over or a
swap, the person asked sees it and accepts; the UI only calls the public API."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from web_pages import csrf, page_client, sign_in

from oncall_platform.tokens import DEVELOPMENT_JWT_SECRET

ANA, BEN = "ana@example.com", "ben@example.com"
START = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
ROTATION = {
    "id": "r1",
    "name": "Payments",
    "time_zone": "UTC",
    "first_shift_start": "2026-11-30T09:00:00",
    "period": "P7D",
    "handoffs": ["PT0S"],
    "coverage": None,
    "backup": False,
    "horizon_days": 42,
    "admins": ["lead@example.com"],
    "members": [
        {
            "email": ANA,
            "name": "Ana",
            "time_zone": "UTC",
            "joined_at": "2026-11-01T00:00:00Z",
            "unavailable": [],
        },
        {
            "email": BEN,
            "name": "Ben",
            "time_zone": "UTC",
            "joined_at": "2026-11-01T00:00:00Z",
            "unavailable": [],
        },
    ],
}


def _shift(index: int, primary: str) -> dict[str, object]:
    start = START + timedelta(days=7 * index)
    return {
        "id": f"s{index}",
        "start": start.isoformat(),
        "end": (start + timedelta(days=7)).isoformat(),
        "primary": primary,
        "backup": None,
        "conflict": False,
        "pinned": False,
    }


SHIFTS = [_shift(0, ANA), _shift(1, BEN)]


class FakeApi:
    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, object]]] = []
        self.decided: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].split()[1]
        email = jwt.decode(token, DEVELOPMENT_JWT_SECRET, ["HS256"])["email"]
        path = request.url.path
        if path == "/v1/rotations/r1":
            return httpx.Response(200, json=ROTATION)
        if path == "/v1/rotations/r1/shifts":
            return httpx.Response(200, json=SHIFTS)
        if path == "/v1/rotations/r1/oncall":
            return httpx.Response(200, json=[])
        if path == "/v1/rotations/r1/shift-requests" and request.method == "POST":
            self.asked.append((email, json.loads(request.content)))
            return httpx.Response(201, json={"id": "q1", "state": "pending"})
        if path == "/v1/rotations/r1/shift-requests" or path == "/v1/me/shift-requests":
            listed = [self._request()] if self.asked and email in (ANA, BEN) else []
            return httpx.Response(200, json=listed)
        if match := re.fullmatch(r"/v1/rotations/r1/shift-requests/(\w+)/(\w+)", path):
            if email != BEN:
                return httpx.Response(403, json={"detail": f"only {BEN} can accept request q1"})
            self.decided.append((match.group(1), match.group(2)))
            return httpx.Response(200, json={"id": "q1", "state": "accepted"})
        return httpx.Response(404, json={"detail": "unknown"})

    def _request(self) -> dict[str, object]:
        return {
            "id": "q1",
            "rotation_id": "r1",
            "kind": "swap",
            "shift_id": "s0",
            "other_shift_id": "s1",
            "role": "primary",
            "requested_by": ANA,
            "requested_of": BEN,
            "state": "pending",
            "created_at": START.isoformat(),
            "expires_at": START.isoformat(),
            "decided_by": None,
            "decided_at": None,
            "forced": False,
        }


@pytest.fixture
def fake_api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def client(fake_api: FakeApi) -> TestClient:
    return page_client(fake_api)


def test_a_holder_asks_for_a_swap_and_the_person_asked_accepts_it(
    client: TestClient, fake_api: FakeApi
) -> None:
    sign_in(client, ANA)
    calendar = client.get("/rotations/r1").text
    assert 'href="/rotations/r1/shifts/s0/request"' in calendar
    assert 'href="/rotations/r1/shifts/s1/request"' not in calendar, "only your own shifts"
    assert "Reassign" not in calendar, "reassigning directly is for administrators"
    page = client.get("/rotations/r1/shifts/s0/request")
    assert page.status_code == 200
    assert '<label for="with_shift_id">' in page.text

    sent = client.post(
        "/rotations/r1/shifts/s0/request",
        data={"kind": "swap", "role": "primary", "with_shift_id": "s1", "csrf_token": csrf(page.text)},
    )

    assert sent.status_code == 303
    assert fake_api.asked == [
        (ANA, {"kind": "swap", "shift_id": "s0", "role": "primary", "with_shift_id": "s1"})
    ]
    sign_in(client, BEN)
    listed = client.get("/rotations/r1/requests").text
    assert "Ana asks Ben to swap" in listed
    accepted = client.post("/rotations/r1/requests/q1/accept", data={"csrf_token": csrf(listed)})
    assert accepted.status_code == 303
    assert fake_api.decided == [("q1", "accept")]


def test_a_hand_over_names_the_person_asked_and_a_refusal_is_shown_in_words(
    client: TestClient, fake_api: FakeApi
) -> None:
    sign_in(client, ANA)
    page = client.get("/rotations/r1/shifts/s0/request").text
    client.post(
        "/rotations/r1/shifts/s0/request",
        data={"kind": "hand_over", "role": "primary", "to": BEN, "csrf_token": csrf(page)},
    )
    assert fake_api.asked[-1] == (ANA, {"kind": "hand_over", "shift_id": "s0", "role": "primary", "to": BEN})

    listed = client.get("/rotations/r1/requests").text
    refused = client.post("/rotations/r1/requests/q1/accept", data={"csrf_token": csrf(listed)})

    assert refused.status_code == 409
    assert f"only {BEN} can accept request q1" in refused.text
    assert client.get("/rotations/r1/shifts/s1/request").status_code == 404, "not Ana's shift"


def test_my_requests_lists_those_of_every_rotation_and_links_to_each(
    client: TestClient, fake_api: FakeApi
) -> None:
    sign_in(client, BEN)
    assert 'href="/requests"' in client.get("/").text
    assert "No open requests." in client.get("/requests").text
    fake_api.asked.append((ANA, {"kind": "swap"}))

    page = client.get("/requests")

    assert page.status_code == 200
    assert '<a href="/rotations/r1/requests">Payments</a>' in page.text
    assert "Ana asks Ben to swap" in page.text
    assert "Waiting for your answer" in page.text
