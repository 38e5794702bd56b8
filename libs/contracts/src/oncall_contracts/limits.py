"""The maximum lengths of the shared text values, in characters: one place for the API, the event
contracts and every table.

Where a value becomes a PagerDuty field, the limit is PagerDuty's (its REST API refuses longer), so
a value that passes our API can always be provisioned or synced.
"""

from __future__ import annotations

import math

PERSON_NAME = 100
"""A member's name: it becomes the PagerDuty user's ``name`` (PagerDuty: at most 100)."""

EMAIL = 254
"""Any e-mail address (RFC 5321: a path holds at most 254 characters)."""

PAGERDUTY_EMAIL = 100
"""A member's e-mail: it becomes the PagerDuty user's login ``email`` (PagerDuty: 6 to 100)."""

ROTATION_NAME = 200
"""A rotation's name; it is the default schedule name."""

SCHEDULE_NAME = 200
"""A PagerDuty schedule name as we give it. PagerDuty allows 255; the backup schedule adds
``" (backup)"`` to it."""

SUBDOMAIN = 63
"""A PagerDuty account's web subdomain (one DNS label)."""

ACCOUNT_KEY = 2 + 1 + SUBDOMAIN
"""``"{region}:{subdomain}"``."""

TIME_ZONE = 64
"""An IANA time zone name (the longest known today has 32 characters)."""

ID = 64
"""An identifier: rotation ids (UUID text), shift ids, PagerDuty object ids."""

UUID_TEXT = 36
"""A UUID in canonical text form, e.g. an id the rotation service generates."""

URL = 2048
"""A URL, e.g. a PagerDuty schedule's web address."""

REASON = 1000
"""A reason or error message the system produces. Longer ones are truncated, never refused."""

API_KEY = 200
"""A PagerDuty REST API key as a user gives it (PagerDuty's are 20 characters)."""

CREDENTIAL_KEY_ID = 64
"""The id of a credential sealing key."""

CREDENTIAL_NONCE = 16
"""A sealed credential's nonce: 12 bytes in base64."""

_GCM_TAG_BYTES = 16
_MAX_UTF8_BYTES_PER_CHARACTER = 4

CREDENTIAL_CIPHERTEXT = 4 * math.ceil((API_KEY * _MAX_UTF8_BYTES_PER_CHARACTER + _GCM_TAG_BYTES) / 3)
"""A sealed API key in base64: the longest API key, UTF-8 encoded, plus the GCM tag."""

WAITING_FOR = 1000
"""The e-mails one ScheduleSyncWaiting names (the rest are named once the first have arrived)."""

EVENT_TYPE = 100
"""An event's type name."""

PRODUCER = 100
"""The name of the service that published an event."""

SUBJECT = max(ID, ACCOUNT_KEY)
"""An event's subject, its Kafka key: a rotation id or an account key."""

TRACE_CONTEXT = 512
"""A W3C ``traceparent`` (55 characters) or ``tracestate`` (at most 32 members) header value."""

TOPIC = 249
"""A Kafka topic name (Kafka's own limit)."""

ENUM = 16
"""Short fixed vocabularies stored as text: roles, modes, regions, states."""

TIME_OF_DAY = 8
"""A wall-clock time stored as text, ``"HH:MM:SS"``."""


# Bounded work per request. The rotation service allocates every shift of a rotation's horizon on each
# change, in the request; these caps keep one request's allocation well under 100 ms.

PERIOD_DAYS = 366
"""A rotation's period, in days."""

HORIZON_DAYS = 730
"""How far ahead a rotation plans its shifts, in days."""

HANDOFFS_PER_PERIOD = 200
"""Handoffs in one period of a rotation."""

SHIFTS_PER_ROTATION = 600
"""Shifts a rotation plans over its horizon (``horizon_days / period * handoffs``): enough for three
8-hour shifts a day over the default 182-day horizon (546). Planning 547 shifts for 50 members with
backup takes 71-76 ms on one core of the shared development machine, 365 days twice that
(docs/benchmarks.md), so the limit keeps one allocation under the 100 ms the event loop may be held."""

MEMBERS_PER_ROTATION = 50
"""People in one rotation."""

OPEN_SHIFT_REQUESTS_PER_PERSON = 20
"""Undecided hand-over and swap requests one person may have made in one rotation."""

TIME_RANGE_DAYS = HORIZON_DAYS + 1
"""The longest ``since``/``until`` range a listing of shifts or on-call entries answers."""


def truncate(text: str, limit: int = REASON) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
