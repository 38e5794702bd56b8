"""Annotated field types shared by the payload models.

Each type validates and normalises on the way in, so every consumer sees one canonical form:
datetimes in UTC, e-mails in lower case, rotation ids as canonical UUID text, zones as IANA names.
Every text type has a maximum length from ``oncall_contracts.limits`` (``maxLength`` in the JSON
Schema); the length is checked before anything else, so an over-long value costs nothing to refuse.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from pydantic.networks import validate_email

from oncall_contracts import limits


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _email(value: str) -> str:
    # Lower-cased as a whole: PagerDuty matches e-mails that way.
    return validate_email(value)[1].lower()


def _truncated_reason(value: object) -> object:
    return limits.truncate(value) if isinstance(value, str) else value


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

Email = Annotated[
    str, Field(max_length=limits.EMAIL, json_schema_extra={"format": "email"}), AfterValidator(_email)
]
"""A syntactically valid e-mail address, lower-cased as a whole."""

TimeZoneName = Annotated[str, Field(max_length=limits.TIME_ZONE), AfterValidator(_iana_zone)]
"""An IANA time zone name that zoneinfo knows, e.g. ``Europe/Berlin``."""

RotationId = Annotated[str, Field(max_length=limits.ID), AfterValidator(_canonical_uuid)]
"""A rotation id: UUID text, normalised to the canonical lower-case hyphenated form."""

Identifier = Annotated[str, Field(min_length=1, max_length=limits.ID)]
"""An opaque id: a shift id, a PagerDuty object id."""

PersonName = Annotated[str, Field(min_length=1, max_length=limits.PERSON_NAME)]
"""A person's name as PagerDuty accepts it for a user."""

RotationName = Annotated[str, Field(min_length=1, max_length=limits.ROTATION_NAME)]

ScheduleName = Annotated[str, Field(min_length=1, max_length=limits.SCHEDULE_NAME)]

Url = Annotated[str, Field(min_length=1, max_length=limits.URL)]

Reason = Annotated[str, Field(min_length=1, max_length=limits.REASON), BeforeValidator(_truncated_reason)]
"""A reason the system produced; a longer one is truncated to the limit, never refused."""

Revision = Annotated[int, Field(ge=0)]
