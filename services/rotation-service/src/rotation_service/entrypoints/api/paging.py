"""Paged listings: the opaque `cursor` query parameter and the RFC 8288 `Link: <...>; rel="next"` header.

A cursor is the listing position of the last rotation of a page, base64url-encoded JSON. Clients must
treat it as opaque (it may change between versions); a cursor we cannot read is a 422 on `cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Annotated

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, TypeAdapter, ValidationError
from starlette.datastructures import URL

from rotation_service.domain.listing import ListingPosition

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
_MAX_CURSOR_LENGTH = 512
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_POSITION = TypeAdapter(tuple[AwareDatetime, str])
_NOT_OURS = 'was not issued by this API: follow the URL of the previous page\'s `Link: <...>; rel="next"`'


def encode_cursor(position: ListingPosition) -> str:
    raw = json.dumps([position.created_at.isoformat(), position.rotation_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> ListingPosition:
    """The position `cursor` stands for; ValueError when it is not one `encode_cursor` made."""
    if len(cursor) > _MAX_CURSOR_LENGTH or not _BASE64URL.fullmatch(cursor):
        raise ValueError(_NOT_OURS)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, rotation_id = _POSITION.validate_json(raw)
    except (binascii.Error, ValidationError) as error:
        raise ValueError(_NOT_OURS) from error
    return ListingPosition(created_at, rotation_id)


def _after(
    cursor: Annotated[
        str | None, Query(description='from the previous page\'s `Link: <...>; rel="next"` header; opaque')
    ] = None,
) -> ListingPosition | None:
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError as error:
        problem = {"loc": ("query", "cursor"), "msg": f"cursor {error}", "type": "value_error"}
        raise RequestValidationError([problem]) from error


After = Annotated[ListingPosition | None, Depends(_after)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"items per page, 1 to {MAX_PAGE_SIZE}")]
NEXT_LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288 `<...>; rel="next"`: the URL of the next page; absent on the last page',
        "schema": {"type": "string"},
    }
}


def next_link(url: URL, position: ListingPosition, limit: int) -> str:
    """The `Link` header value announcing the page after `position` (the request's other parameters kept)."""
    return f'<{url.include_query_params(cursor=encode_cursor(position), limit=limit)}>; rel="next"'
