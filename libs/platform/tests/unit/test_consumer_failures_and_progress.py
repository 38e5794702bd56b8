"""Which failures count against an event, and which offsets a partly finished batch commits."""

from __future__ import annotations

import asyncpg.exceptions
import sqlalchemy.exc
from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from oncall_platform.consumer import Progress, Record, is_transient


def _wrapped(error: Exception, kind: type[sqlalchemy.exc.DBAPIError]) -> sqlalchemy.exc.DBAPIError:
    try:
        try:
            raise error
        except Exception as cause:
            raise kind("INSERT ...", {}, cause) from cause
    except sqlalchemy.exc.DBAPIError as wrapped:
        return wrapped


def test_unreachable_infrastructure_is_transient() -> None:
    assert is_transient(_wrapped(ConnectionRefusedError(), sqlalchemy.exc.OperationalError))
    assert is_transient(ConnectionResetError())
    assert is_transient(
        _wrapped(asyncpg.exceptions.ConnectionDoesNotExistError(), sqlalchemy.exc.InterfaceError)
    )
    assert is_transient(_wrapped(asyncpg.exceptions.CannotConnectNowError(), sqlalchemy.exc.DBAPIError))
    assert is_transient(_wrapped(asyncpg.exceptions.DeadlockDetectedError(), sqlalchemy.exc.DBAPIError))
    assert is_transient(KafkaTimeoutError())


def test_failures_of_the_event_count() -> None:
    assert not is_transient(ValueError("bad"))
    too_long = _wrapped(asyncpg.exceptions.StringDataRightTruncationError(), sqlalchemy.exc.DBAPIError)
    assert not is_transient(too_long)
    unencodable = _wrapped(asyncpg.exceptions.DataError("invalid input"), sqlalchemy.exc.InterfaceError)
    assert not is_transient(unencodable)
    assert not is_transient(MessageSizeTooLargeError())


def _record(partition: int, offset: int) -> Record:
    return Record(topic="t", partition=partition, offset=offset, key=None, value=b"", headers=())


def test_a_partly_finished_batch_commits_the_finished_prefix_and_resumes_at_the_rest() -> None:
    records = [_record(0, 10), _record(0, 11), _record(0, 12), _record(1, 5), _record(2, 7)]
    progress = Progress(records)
    for done in (records[0], records[2], records[3]):
        progress.finish(done)

    assert progress.commit_offsets() == {("t", 0): 11, ("t", 1): 6}
    assert progress.resume_from() == {("t", 0): 11, ("t", 2): 7}


def test_a_finished_batch_commits_past_its_last_record() -> None:
    records = [_record(0, 3), _record(0, 4)]
    progress = Progress(records)
    for record in records:
        progress.finish(record)
    assert progress.commit_offsets() == {("t", 0): 5}
    assert progress.resume_from() == {}


def test_finishing_after_asking_moves_the_offsets_on() -> None:
    records = [_record(0, 3), _record(0, 4)]
    progress = Progress(records)
    progress.finish(records[0])
    assert progress.commit_offsets() == {("t", 0): 4}
    assert progress.resume_from() == {("t", 0): 4}
    progress.finish(records[1])
    assert progress.commit_offsets() == {("t", 0): 5}
    assert progress.resume_from() == {}
