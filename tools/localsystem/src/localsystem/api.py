"""A small client of the rotation service's public REST API (paths and fields of issue 5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from localsystem.timelines import Entry, parse_instant


class ApiError(RuntimeError):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}: "
            f"{response.text[:500]}"
        )
        self.status_code = response.status_code


class RotationApi:
    def __init__(self, base_url: str, token: str, timeout_s: float = 30.0) -> None:
        self._http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s
        )

    def close(self) -> None:
        self._http.close()

    # rotations and members -------------------------------------------------------------------------
    def create_rotation(
        self,
        name: str,
        time_zone: str,
        first_shift_start: str,
        *,
        period: str = "P7D",
        handoffs: tuple[str, ...] = ("P0D",),
        coverage: tuple[str, str] | None = None,
        backup: bool = False,
        horizon_days: int = 182,
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "time_zone": time_zone,
            "first_shift_start": first_shift_start,
            "period": period,
            "handoffs": list(handoffs),
            "coverage": {"start": coverage[0], "end": coverage[1]} if coverage else None,
            "backup": backup,
            "horizon_days": horizon_days,
        }
        return self._call("POST", "/v1/rotations", json=body)  # type: ignore[no-any-return]

    def rotation(self, rotation_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/rotations/{rotation_id}")  # type: ignore[no-any-return]

    def update_rotation(self, rotation_id: str, **fields: Any) -> dict[str, Any]:
        return self._call("PATCH", f"/v1/rotations/{rotation_id}", json=fields)  # type: ignore[no-any-return]

    def delete_rotation(self, rotation_id: str) -> None:
        self._call("DELETE", f"/v1/rotations/{rotation_id}")

    def add_member(self, rotation_id: str, email: str, name: str, time_zone: str) -> Any:
        body = {"email": email, "name": name, "time_zone": time_zone}
        return self._call("POST", f"/v1/rotations/{rotation_id}/members", json=body)

    def remove_member(self, rotation_id: str, email: str) -> None:
        self._call("DELETE", f"/v1/rotations/{rotation_id}/members/{email}")

    # shifts and timelines -------------------------------------------------------------------------
    def shifts(self, rotation_id: str, since: datetime, until: datetime) -> list[dict[str, Any]]:
        params = {"since": since.isoformat(), "until": until.isoformat()}
        return self._call("GET", f"/v1/rotations/{rotation_id}/shifts", params=params)  # type: ignore[no-any-return]

    def reassign_shift(self, rotation_id: str, shift_id: str, **people: str | None) -> Any:
        return self._call("PATCH", f"/v1/rotations/{rotation_id}/shifts/{shift_id}", json=people)

    def ask_swap(self, rotation_id: str, shift_id: str, with_shift_id: str, role: str = "primary") -> Any:
        """Ask whoever holds `role` of the other shift to swap it with ours (nothing changes yet)."""
        body = {"kind": "swap", "shift_id": shift_id, "with_shift_id": with_shift_id, "role": role}
        return self._call("POST", f"/v1/rotations/{rotation_id}/shift-requests", json=body)

    def ask_hand_over(self, rotation_id: str, shift_id: str, to: str, role: str = "primary") -> Any:
        body = {"kind": "hand_over", "shift_id": shift_id, "to": to, "role": role}
        return self._call("POST", f"/v1/rotations/{rotation_id}/shift-requests", json=body)

    def shift_requests(self, rotation_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/rotations/{rotation_id}/shift-requests")  # type: ignore[no-any-return]

    def decide_request(self, rotation_id: str, request_id: str, step: str) -> Any:
        """`step`: accept, decline or cancel."""
        return self._call("POST", f"/v1/rotations/{rotation_id}/shift-requests/{request_id}/{step}")

    def oncall(self, rotation_id: str, role: str, since: datetime, until: datetime) -> list[Entry]:
        params = {"role": role, "since": since.isoformat(), "until": until.isoformat()}
        rows = self._call("GET", f"/v1/rotations/{rotation_id}/oncall", params=params)
        return [Entry(parse_instant(r["start"]), parse_instant(r["end"]), r["email"]) for r in rows]

    # the PagerDuty integration --------------------------------------------------------------------
    def configure_own(
        self,
        rotation_id: str,
        subdomain: str,
        api_key: str,
        *,
        schedule_name: str | None = None,
        region: str = "us",
    ) -> Any:
        body: dict[str, Any] = {"mode": "own", "subdomain": subdomain, "api_key": api_key, "region": region}
        if schedule_name is not None:
            body["schedule_name"] = schedule_name
        return self._call("PUT", f"/v1/rotations/{rotation_id}/pagerduty", json=body)

    def configure_merge(self, rotation_id: str, merge_with: str) -> Any:
        body = {"mode": "merge", "merge_with": merge_with}
        return self._call("PUT", f"/v1/rotations/{rotation_id}/pagerduty", json=body)

    def integration(self, rotation_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/rotations/{rotation_id}/pagerduty")  # type: ignore[no-any-return]

    def merges(self, rotation_id: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/rotations/{rotation_id}/pagerduty/merges")  # type: ignore[no-any-return]

    def end_merge(self, rotation_id: str, merged_rotation_id: str) -> None:
        self._call("DELETE", f"/v1/rotations/{rotation_id}/pagerduty/merges/{merged_rotation_id}")

    def remove_integration(self, rotation_id: str) -> None:
        self._call("DELETE", f"/v1/rotations/{rotation_id}/pagerduty")

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if not response.is_success:
            raise ApiError(response)
        return response.json() if response.content else None
