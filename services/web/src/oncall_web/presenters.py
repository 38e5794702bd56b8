"""What the pages show, computed from API answers: pure functions, no HTTP, no templates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter

_DURATION = TypeAdapter(timedelta)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def duration(value: str | float) -> timedelta:
    return _DURATION.validate_python(value)


def hours_text(delta: timedelta) -> str:
    """'7 days', '12 h', '3 days 12 h', '0 h'."""
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours or (not days and not minutes):
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def when(moment: datetime, zone: str) -> str:
    """'Mon 7 Dec 09:00' in the rotation's zone."""
    return _when(local(moment, zone))


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _when(at: datetime) -> str:
    # strftime's %a and %b cost ten times this; the page formats hundreds of instants.
    return f"{_WEEKDAYS[at.weekday()]} {at.day} {_MONTHS[at.month - 1]} {at.hour:02d}:{at.minute:02d}"


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now" if seconds < 5 else f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


@dataclass(frozen=True)
class RotationSummary:
    period: str
    handoffs: str
    coverage: str
    first_shift: str


def summary(rotation: dict[str, Any]) -> RotationSummary:
    coverage = rotation.get("coverage")
    window = "all day" if not coverage else f"{coverage['start'][:5]} to {coverage['end'][:5]} local time"
    offsets = [duration(h) for h in rotation["handoffs"]]
    handoffs = ", ".join(hours_text(h) for h in offsets) + " into the period"
    start = datetime.fromisoformat(rotation["first_shift_start"])
    return RotationSummary(
        period=hours_text(duration(rotation["period"])),
        handoffs=handoffs if offsets != [timedelta(0)] else "one shift a period",
        coverage=window,
        first_shift=f"{start:%a} {start.day} {start:%b %Y %H:%M}",
    )


@dataclass
class Load:
    email: str
    name: str
    primary_shifts: int = 0
    backup_shifts: int = 0
    primary_hours: float = 0.0
    backup_hours: float = 0.0


def member_load(
    members: list[dict[str, Any]],
    shifts: Iterable[dict[str, Any]],
    primary_timeline: Iterable[dict[str, Any]],
    backup_timeline: Iterable[dict[str, Any]],
) -> list[Load]:
    """Per member: shifts taken and hours on call (as the timelines count them, coverage windows
    applied) over the shown period, in the members' order."""
    loads = {m["email"]: Load(m["email"], m["name"]) for m in members}
    for shift in shifts:
        if shift.get("primary") in loads:
            loads[shift["primary"]].primary_shifts += 1
        if shift.get("backup") in loads:
            loads[shift["backup"]].backup_shifts += 1
    for entries, attribute in ((primary_timeline, "primary_hours"), (backup_timeline, "backup_hours")):
        for entry in entries:
            load = loads.get(entry["email"])
            if load is not None:
                hours = (instant(entry["end"]) - instant(entry["start"])).total_seconds() / 3600
                setattr(load, attribute, getattr(load, attribute) + hours)
    return list(loads.values())


@dataclass(frozen=True)
class ShiftRow:
    id: str
    path_id: str  # the id as a URL path segment
    starts: str  # in the rotation's zone, as the page shows it
    ends: str
    primary: str | None
    backup: str | None
    primary_name: str
    backup_name: str
    conflict: bool
    now: bool
    mine: bool


@dataclass
class Week:
    label: str
    shifts: list[ShiftRow] = field(default_factory=list)


def calendar(
    shifts: Iterable[dict[str, Any]], zone: str, now: datetime, me: str | None, names: dict[str, str]
) -> list[Week]:
    """Shifts grouped by the local week (Monday first) in which they start, ready to show."""
    tz = ZoneInfo(zone)
    weeks: dict[str, Week] = {}
    for shift in shifts:
        start, end = instant(shift["start"]), instant(shift["end"])
        local_start = start.astimezone(tz)
        monday = (local_start - timedelta(days=local_start.weekday())).date()
        label = f"{monday.day} {monday:%b %Y}"
        primary, backup = shift.get("primary"), shift.get("backup")
        row = ShiftRow(
            id=shift["id"],
            path_id=quote(shift["id"], safe=""),
            starts=_when(local_start),
            ends=_when(end.astimezone(tz)),
            primary=primary,
            backup=backup,
            primary_name=names.get(primary, primary) if primary else "unassigned",
            backup_name=names.get(backup, backup) if backup else "unassigned",
            conflict=bool(shift.get("conflict")),
            now=start <= now < end,
            mine=me is not None and me in (primary, backup),
        )
        weeks.setdefault(label, Week(label)).shifts.append(row)
    return list(weeks.values())


def who_is_on_call(timeline: list[dict[str, Any]], now: datetime) -> str | None:
    for entry in timeline:
        if instant(entry["start"]) <= now < instant(entry["end"]):
            return str(entry["email"])
    return None


@dataclass(frozen=True)
class SyncState:
    """The sync as a sentence: what it is doing and whom it waits for."""

    level: str  # "ok", "waiting", "error"
    headline: str
    waiting_for: str | None


@dataclass(frozen=True)
class AwaitedPerson:
    """Someone the sync waits for, in words."""

    who: str
    state: str


def awaited_people(integration: dict[str, Any]) -> list[AwaitedPerson]:
    """The API's `waiting_for`: people with no PagerDuty user yet, and why."""
    people = []
    for person in integration.get("waiting_for") or []:
        email, name = person["email"], person.get("name")
        who = f"{name} ({email})" if name else email
        if person.get("provisioning") == "failed":
            reason = person.get("reason") or "no reason given"
            then = "trying again" if person.get("retryable") else "an administrator needs to fix this"
            state = f"PagerDuty could not create their user: {reason} ({then})"
        else:
            state = "their PagerDuty user is being created"
        people.append(AwaitedPerson(who, state))
    return people


def sync_state(integration: dict[str, Any], admins: list[str]) -> SyncState:
    error = integration.get("last_error")
    schedules = integration.get("schedules") or []
    awaited = integration.get("waiting_for") or []
    if awaited:  # the newest word: the sync writes once these people have a PagerDuty user
        count = "1 person" if len(awaited) == 1 else f"{len(awaited)} people"
        return SyncState("waiting", "Waiting for PagerDuty users", f"{count} to get a PagerDuty user")
    if error:
        reason = error.get("reason") or "PagerDuty refused a request"
        if error.get("retryable"):
            return SyncState(
                "waiting", f"PagerDuty did not accept the last update: {reason}", "PagerDuty (retrying)"
            )
        owners = ", ".join(admins) or "an administrator"
        return SyncState(
            "error", f"The sync stopped: {reason}", f"an administrator ({owners}) to fix the configuration"
        )
    if not schedules or not all(s.get("schedule_id") for s in schedules):
        return SyncState(
            "waiting", "Setting up the PagerDuty schedule", "the sync service to create the schedule"
        )
    return SyncState("ok", "PagerDuty is up to date", None)


def sync_view(rotation: dict[str, Any], integration: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """What the sync status fragment shows."""
    if integration is None:
        return {"rotation": rotation, "integration": None}
    last_sync = integration.get("last_sync")
    return {
        "rotation": rotation,
        "integration": integration,
        "state": sync_state(integration, rotation["admins"]),
        "awaited": awaited_people(integration),
        "last_sync": ago(instant(last_sync) if last_sync else None, now),
        "merged": integration["mode"] == "merge",
    }


def parse_local(text: str, zone: str) -> datetime:
    """A form's "YYYY-MM-DD HH:MM" read in `zone`, as an aware instant."""
    return datetime.fromisoformat(text.strip()).replace(tzinfo=ZoneInfo(zone))


def week_start(now: datetime, zone: str, at: time = time(9)) -> datetime:
    """This week's Monday at `at` in `zone` (the default first shift of a new rotation)."""
    today = local(now, zone).date()
    return datetime.combine(today - timedelta(days=today.weekday()), at)
