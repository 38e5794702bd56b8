"""Annotated field types shared by the payload models.

Each type validates and normalises on the way in, so every consumer sees one canonical form:
datetimes in UTC, e-mails in lower case, rotation ids as canonical UUID text, zones as IANA names.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, EmailStr, Field


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _lower(value: str) -> str:
    return value.lower()


def _iana_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{value!r} is not an IANA time zone name") from error
    return value


def _canonical_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as error:
        raise ValueError(f"{value!r} is not a UUID") from error


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An aware datetime, converted to UTC. Naive datetimes are rejected."""

Email = Annotated[EmailStr, AfterValidator(_lower)]
"""A syntactically valid e-mail address, lower-cased as a whole (PagerDuty matches e-mails that way)."""

TimeZoneName = Annotated[str, AfterValidator(_iana_zone)]
"""An IANA time zone name that zoneinfo knows, e.g. ``Europe/Berlin``."""

RotationId = Annotated[str, AfterValidator(_canonical_uuid)]
"""A rotation id: UUID text, normalised to the canonical lower-case hyphenated form."""

NonEmptyStr = Annotated[str, Field(min_length=1)]

Revision = Annotated[int, Field(ge=0)]
