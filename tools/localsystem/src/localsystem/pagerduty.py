"""What PagerDuty shows: the simulator's inspection controls (`/_sim/`) and its public schedule list.

Inspection routes do not count against the rate limit and are not in the request log; the schedule
list (`GET /schedules`) is the real API and is logged like any client's request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from localsystem.timelines import Entry, parse_instant

PAGERDUTY_ACCEPT = "application/vnd.pagerduty+json;version=2"


class PagerDutyView:
    def __init__(self, base_url: str, api_key: str) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Token token={api_key}", "Accept": PAGERDUTY_ACCEPT},
            timeout=30.0,
        )

    def close(self) -> None:
        self._http.close()

    def users_by_id(self) -> dict[str, str]:
        """PagerDuty user id -> e-mail (lower-cased)."""
        users = self._ok(self._http.get("/_sim/users"))["users"]
        return {user["id"]: user["email"].lower() for user in users}

    def final_user_ids(
        self, schedule_id: str, since: datetime, until: datetime
    ) -> list[tuple[str, str, str]]:
        """The final schedule over [since, until) as raw (start, end, user id) strings."""
        params = {"since": since.isoformat(), "until": until.isoformat()}
        body = self._ok(self._http.get(f"/_sim/schedules/{schedule_id}/final", params=params))
        return [(e["start"], e["end"], e["user_id"]) for e in body["entries"]]

    def final_user_ids_unless(
        self, schedule_id: str, since: datetime, until: datetime, revision: int | None
    ) -> tuple[int, list[tuple[str, str, str]] | None]:
        """`final_user_ids` with the schedule's revision; None instead of entries when the schedule is
        still at `revision` (the simulator then renders nothing: cheap to poll)."""
        params: dict[str, str] = {"since": since.isoformat(), "until": until.isoformat()}
        if revision is not None:
            params["unless_revision"] = str(revision)
        body = self._ok(self._http.get(f"/_sim/schedules/{schedule_id}/final", params=params))
        if body.get("unchanged"):
            return int(body["revision"]), None
        return int(body["revision"]), [(e["start"], e["end"], e["user_id"]) for e in body["entries"]]

    def final_user_ids_after(
        self, schedule_id: str, since: datetime, until: datetime, revision: int, timeout_s: float
    ) -> tuple[int, list[tuple[str, str, str]] | None]:
        """Long-poll: `final_user_ids` once the schedule's revision is newer than `revision`, at once if
        it already is; None instead of entries when no write came within `timeout_s` (one request per
        write instead of a poll loop)."""
        params = {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "after_revision": str(revision),
            "timeout_s": str(timeout_s),
        }
        response = self._http.get(
            f"/_sim/schedules/{schedule_id}/final", params=params, timeout=timeout_s + 30.0
        )
        body = self._ok(response)
        if body.get("unchanged"):
            return int(body["revision"]), None
        return int(body["revision"]), [(e["start"], e["end"], e["user_id"]) for e in body["entries"]]

    def schedule_writes(self, schedule_id: str, after_revision: int | None = None) -> list[dict[str, Any]]:
        """The writes the simulator applied to the schedule, oldest first: `{revision, applied_at,
        monotonic, operation}` (`monotonic` is the host's `time.monotonic()` when it was applied)."""
        params = {} if after_revision is None else {"after_revision": str(after_revision)}
        writes: list[dict[str, Any]] = self._ok(
            self._http.get(f"/_sim/schedules/{schedule_id}/writes", params=params)
        )["writes"]
        return writes

    def final_schedule(self, schedule_id: str, since: datetime, until: datetime) -> list[Entry]:
        """The final schedule over [since, until) with people as e-mails."""
        params = {"since": since.isoformat(), "until": until.isoformat()}
        body = self._ok(self._http.get(f"/_sim/schedules/{schedule_id}/final", params=params))
        emails = self.users_by_id()
        return [
            Entry(parse_instant(e["start"]), parse_instant(e["end"]), emails.get(e["user_id"], e["user_id"]))
            for e in body["entries"]
        ]

    def delete_user(self, user_id: str) -> None:
        """An admin deletes the user in PagerDuty (off-boarding, a clean-up)."""
        self._ok(self._http.delete(f"/users/{user_id}"))

    def schedule_definition(self, schedule_id: str) -> dict[str, Any]:
        """One schedule as its editor would load it: GET /schedules/{id} without a rendering window."""
        schedule: dict[str, Any] = self._ok(self._http.get(f"/schedules/{schedule_id}"))["schedule"]
        return schedule

    def delete_schedule(self, schedule_id: str) -> None:
        """Someone deletes the schedule in PagerDuty's web UI (the public API)."""
        self._ok(self._http.delete(f"/schedules/{schedule_id}"))

    def replace_schedule(self, schedule_id: str, schedule: dict[str, Any]) -> None:
        """Someone edits the schedule in PagerDuty's web UI: PUT /schedules/{id} with `schedule`."""
        self._ok(self._http.put(f"/schedules/{schedule_id}", json={"schedule": schedule}))

    def faults(self, **settings: Any) -> None:
        """Replace the simulator's injected faults (`faults()` clears them); see `pagerduty_sim` Faults."""
        self._ok(self._http.post("/_sim/faults", json=settings))

    def requests(self) -> list[dict[str, Any]]:
        """Every request served on PagerDuty paths: time, method, path, query, status, account, body."""
        entries: list[dict[str, Any]] = self._ok(self._http.get("/_sim/requests"))["requests"]
        return entries

    def schedules(self) -> list[dict[str, Any]]:
        """All schedules of the account (the public API, paginated)."""
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self._ok(self._http.get("/schedules", params={"limit": 100, "offset": offset}))
            found.extend(page["schedules"])
            if not page.get("more"):
                return found
            offset += 100

    def schedule(self, schedule_id: str, since: datetime, until: datetime) -> dict[str, Any]:
        """One schedule with its layers rendered over [since, until) (the public API)."""
        params = {"since": since.isoformat(), "until": until.isoformat(), "time_zone": "UTC"}
        schedule: dict[str, Any] = self._ok(self._http.get(f"/schedules/{schedule_id}", params=params))[
            "schedule"
        ]
        return schedule

    @staticmethod
    def _ok(response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json() if response.content else None
