"""Which failures are the infrastructure's (retry without limit) and which are the event's (count)."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg.exceptions
import sqlalchemy.exc
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

_TRANSIENT: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,  # database down, restarting, locked
    sqlalchemy.exc.InterfaceError,  # the connection was closed under the statement
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection in time
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # deadlock, serialization failure
    asyncpg.exceptions.InterfaceError,
    OSError,  # refused, reset, unreachable, timed out (TimeoutError is an OSError)
    KafkaError,  # the broker, while dead-lettering
)

_OF_THE_EVENT: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.DataError,  # an argument asyncpg cannot encode: the event's data, not the link
    MessageSizeTooLargeError,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_transient(error: BaseException) -> bool:
    """True when `error` (or what caused it) says the database or broker is unreachable for now.

    Such failures are retried without limit and never dead-letter the event: the next attempt can
    succeed without any change to the event. Anything else is the event's failure and counts.
    """
    chain = list(_chain(error))
    if any(isinstance(link, _OF_THE_EVENT) for link in chain):
        return False
    if any(isinstance(link, sqlalchemy.exc.DBAPIError) and link.connection_invalidated for link in chain):
        return True
    return any(isinstance(link, _TRANSIENT) for link in chain)


def qualified_name(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def describe(error: BaseException) -> str:
    """The error's message for a dead-letter header and log line: the driver's message for SQL
    errors (never the statement's parameters, which hold event data)."""
    if isinstance(error, sqlalchemy.exc.StatementError) and error.orig is not None:
        return f"{type(error.orig).__name__}: {error.orig}"
    return str(error) or type(error).__name__
