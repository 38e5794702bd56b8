"""Instants, zones and their PagerDuty string forms."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class InvalidTimeError(ValueError):
    """A date-time or time-zone string that cannot be understood."""


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone `name`, or raise InvalidTimeError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidTimeError(f"Unknown time zone: {name}") from error


def parse_instant(text: str, default_zone: ZoneInfo) -> datetime:
    """Parse an ISO 8601 date-time into an aware UTC datetime.

    A string without an offset is read as wall-clock time in `default_zone` (PagerDuty reads such
    strings in the schedule's or the account's zone).
    """
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidTimeError(f"Invalid date-time: {text}") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_zone)
    return parsed.astimezone(UTC)


def format_instant(instant: datetime, in_zone: ZoneInfo) -> str:
    """Format like PagerDuty: whole seconds with the zone's offset, e.g. 2015-11-09T08:00:00-05:00."""
    return instant.astimezone(in_zone).replace(microsecond=0).isoformat()


def format_utc(instant: datetime) -> str:
    """Format an instant in UTC with a `Z` suffix (used for timestamps that have no zone)."""
    return instant.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def localize(wall_clock: datetime, in_zone: ZoneInfo) -> datetime:
    """Return the UTC instant of a naive wall-clock time in `in_zone`.

    Ambiguous times (autumn fold) take the first occurrence; times skipped by a spring-forward gap
    are read with the offset before the gap, so 02:30 on a 02:00->03:00 night becomes 03:30.
    """
    return wall_clock.replace(tzinfo=in_zone, fold=0).astimezone(UTC)


def wall_clock(instant: datetime, in_zone: ZoneInfo) -> datetime:
    """Return the naive local wall-clock time of `instant` in `in_zone`."""
    return instant.astimezone(in_zone).replace(tzinfo=None)


def parse_time_of_day(text: str) -> time:
    """Parse `HH:MM:SS` (or `HH:MM`) into a time, or raise InvalidTimeError."""
    try:
        return time.fromisoformat(text)
    except ValueError as error:
        raise InvalidTimeError(f"Invalid time of day: {text}") from error


ONE_DAY = timedelta(days=1)
