"""How a service process runs its event loop: on uvloop.

The services spend most of their CPU on round trips to PostgreSQL, Kafka and PagerDuty; uvloop
(libuv, in C) does the socket writes and callback scheduling that asyncio's selector loop does in
Python, at a fraction of the cost. uvicorn picks the same loop with `UVICORN_LOOP`.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")
UVICORN_LOOP = "uvloop"
UVICORN_HTTP = "httptools"


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a new uvloop event loop (what `asyncio.run` does on asyncio's)."""
    return uvloop.run(main)
