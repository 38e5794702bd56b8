"""The rotation service's public REST API, as the UI uses it (the UI has no other source of data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx


class ApiError(Exception):
    """The API refused a request; `field_errors` maps a body field to its message (422 answers)."""

    def __init__(self, status_code: int, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.field_errors = field_errors or {}


class SignInRequired(ApiError):
    """The API did not accept the session's token (expired or revoked): sign in again."""


@dataclass(frozen=True)
class RotationApi:
    """One caller's view of the API: every request carries that caller's bearer token."""

    http: httpx.AsyncClient
    token: str

    async def rotations(self) -> list[dict[str, Any]]:
        """Every rotation, following the API's `Link: rel="next"` pages."""
        found: list[dict[str, Any]] = []
        url: str | None = "/v1/rotations?limit=500"
        while url is not None:
            response = await self._send("GET", url)
            found.extend(response.json())
            url = response.links.get("next", {}).get("url")
        return found

    async def rotation(self, rotation_id: str) -> dict[str, Any]:
        return await self._object("GET", f"/v1/rotations/{_seg(rotation_id)}")

    async def create_rotation(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._object("POST", "/v1/rotations", json=body)

    async def update_rotation(self, rotation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._object("PATCH", f"/v1/rotations/{_seg(rotation_id)}", json=body)

    async def set_admins(self, rotation_id: str, admins: list[str]) -> list[str]:
        return await self._list("PUT", f"/v1/rotations/{_seg(rotation_id)}/admins", json=admins)

    async def add_member(self, rotation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._object("POST", f"/v1/rotations/{_seg(rotation_id)}/members", json=body)

    async def remove_member(self, rotation_id: str, email: str) -> None:
        await self._send("DELETE", f"/v1/rotations/{_seg(rotation_id)}/members/{_seg(email)}")

    async def add_unavailability(self, rotation_id: str, email: str, start: datetime, end: datetime) -> None:
        path = f"/v1/rotations/{_seg(rotation_id)}/members/{_seg(email)}/unavailability"
        await self._send("POST", path, json={"start": start.isoformat(), "end": end.isoformat()})

    async def shifts(self, rotation_id: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
        params = {"since": since.isoformat(), "until": until.isoformat()}
        return await self._list("GET", f"/v1/rotations/{_seg(rotation_id)}/shifts", params=params)

    async def reassign_shift(self, rotation_id: str, shift_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._object(
            "PATCH", f"/v1/rotations/{_seg(rotation_id)}/shifts/{_seg(shift_id)}", json=body
        )

    async def shift_requests(self, rotation_id: str) -> list[dict[str, Any]]:
        """The open hand-over and swap requests the caller made or is asked (an admin: all)."""
        return await self._list("GET", f"/v1/rotations/{_seg(rotation_id)}/shift-requests")

    async def my_shift_requests(self) -> list[dict[str, Any]]:
        """The open requests the caller made or is asked, in every rotation."""
        return await self._list("GET", "/v1/me/shift-requests")

    async def ask_shift_request(self, rotation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._object("POST", f"/v1/rotations/{_seg(rotation_id)}/shift-requests", json=body)

    async def decide_shift_request(self, rotation_id: str, request_id: str, step: str) -> dict[str, Any]:
        """`step`: accept, decline or cancel."""
        path = f"/v1/rotations/{_seg(rotation_id)}/shift-requests/{_seg(request_id)}/{_seg(step)}"
        return await self._object("POST", path)

    async def oncall(
        self, rotation_id: str, role: str, since: datetime, until: datetime
    ) -> list[dict[str, Any]]:
        params = {"role": role, "since": since.isoformat(), "until": until.isoformat()}
        return await self._list("GET", f"/v1/rotations/{_seg(rotation_id)}/oncall", params=params)

    async def integration(self, rotation_id: str) -> dict[str, Any] | None:
        """The PagerDuty integration, or None when the rotation does not sync."""
        try:
            return await self._object("GET", f"/v1/rotations/{_seg(rotation_id)}/pagerduty")
        except ApiError as error:
            if error.status_code == 404:
                return None
            raise

    async def configure_pagerduty(self, rotation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._object("PUT", f"/v1/rotations/{_seg(rotation_id)}/pagerduty", json=body)

    async def remove_pagerduty(self, rotation_id: str) -> None:
        await self._send("DELETE", f"/v1/rotations/{_seg(rotation_id)}/pagerduty")

    async def merge_candidates(self, rotation_id: str) -> list[dict[str, Any]]:
        return await self._list("GET", f"/v1/rotations/{_seg(rotation_id)}/pagerduty/merge-candidates")

    async def _object(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        body = (await self._send(method, url, **kwargs)).json()
        if not isinstance(body, dict):
            raise ApiError(502, f"the API answered {url} with something other than an object")
        return body

    async def _list(self, method: str, url: str, **kwargs: Any) -> list[Any]:
        body = (await self._send(method, url, **kwargs)).json()
        if not isinstance(body, list):
            raise ApiError(502, f"the API answered {url} with something other than a list")
        return body

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        response = await self.http.request(method, url, headers=headers, **kwargs)
        if response.is_success:
            return response
        raise _error(response)


def _seg(value: str) -> str:
    return quote(value, safe="@")


def _error(response: httpx.Response) -> ApiError:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if response.status_code == 401:
        return SignInRequired(401, "your session has expired: please sign in again")
    if isinstance(detail, list):
        fields: dict[str, str] = {}
        for problem in detail:
            location = [
                str(part)
                for part in problem.get("loc", [])
                if isinstance(part, str) and part != "body" and not part[:1].isupper()
            ]
            name = location[0] if location else "form"
            message = str(problem.get("msg", "invalid"))
            prefix = f"{name}: "
            fields.setdefault(name, message.removeprefix(prefix))
        return ApiError(response.status_code, "; ".join(fields.values()), fields)
    message = str(detail) if detail else f"the API answered {response.status_code}"
    return ApiError(response.status_code, message)
