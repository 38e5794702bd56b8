"""The web UI caps request bodies like every HTTP service, and its forms carry the API's limits."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from oncall_contracts import limits
from oncall_web.bootstrap import bootstrap
from oncall_web.settings import WebSettings


def _never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"the rotation service's API was called: {request.url}")


def _client(**settings: int) -> TestClient:
    container = bootstrap(
        WebSettings(environment="development", **settings), transport=httpx.MockTransport(_never_called)
    )
    return TestClient(container.app(), follow_redirects=False)


def test_a_form_over_the_cap_is_answered_413_before_anything_reads_it() -> None:
    response = _client(max_request_bytes=4096).post(
        "/rotations/r1/members", data={"name": "n" * 5000, "email": "ann@example.com"}
    )

    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is larger than the limit of 4096 bytes"}


def test_the_sign_in_form_limits_the_e_mail_it_accepts() -> None:
    page = _client().get("/signin").text

    assert f'maxlength="{limits.EMAIL}"' in page
