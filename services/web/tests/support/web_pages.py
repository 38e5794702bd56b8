"""Helpers of the web UI's page tests: the app on a stand-in of the API, its CSRF field, a sign-in."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from oncall_web.bootstrap import bootstrap
from oncall_web.settings import WebSettings


def page_client(api: Callable[[httpx.Request], httpx.Response]) -> TestClient:
    """The web UI (development settings) calling `api` instead of the rotation service."""
    container = bootstrap(WebSettings(environment="development"), transport=httpx.MockTransport(api))
    return TestClient(container.app(), follow_redirects=False)


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has a CSRF field"
    return match.group(1)


def sign_in(client: TestClient, email: str) -> None:
    """Sign in as `email` with the development sign-in form."""
    token = csrf(client.get("/signin").text)
    response = client.post("/signin", data={"email": email, "csrf_token": token, "next": "/"})
    assert response.status_code == 303
