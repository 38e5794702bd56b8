"""Keeping the simulator's data across restarts, as PagerDuty keeps an account's: a JSON snapshot file.

What persists: per account (by subdomain) its users, its schedules with every layer version and
override, and the account time zone; the ids ever issued and the creation counter. Not persisted:
keys (they come from the command line, so a key may change and the data stays), the clock, faults,
the request log and rate-limit counts.

Writing: the HTTP layer counts requests that may change data (`Simulator.writes`); `StateSaver`
snapshots when the count moved, at most every `interval_s`, and once more at shutdown. A snapshot is
written to a temporary file and renamed over the old one, so a crash leaves the previous snapshot or
the new one, never half of one. A schedule's JSON is re-encoded only when its revision moved, so a
snapshot costs little more than copying the text of what did not change.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pagerduty_sim.model.account import Account, User
from pagerduty_sim.model.schedule import (
    Layer,
    LayerSpec,
    LayerVersion,
    Override,
    Restriction,
    RestrictionKind,
    Schedule,
)
from pagerduty_sim.simulator import Simulator

FORMAT_VERSION = 1
log = logging.getLogger(__name__)


class StateFileError(RuntimeError):
    """A state file that cannot be read back (corrupt, or written by another format version)."""


# encoding -------------------------------------------------------------------------------------------
def schedule_to_json(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "time_zone": schedule.time_zone.key,
        "description": schedule.description,
        "revision": schedule.revision,
        "layers": [
            {"id": layer.id, "versions": [_version_to_json(v) for v in layer.versions]}
            for layer in schedule.layers
        ],
        "overrides": [
            {
                "id": o.id,
                "start": o.start.isoformat(),
                "end": o.end.isoformat(),
                "user_id": o.user_id,
                "created_seq": o.created_seq,
            }
            for o in schedule.overrides
        ],
    }


def _version_to_json(version: LayerVersion) -> dict[str, Any]:
    spec = version.spec
    return {
        "effective_from": version.effective_from.isoformat(),
        "name": spec.name,
        "start": spec.start.isoformat(),
        "end": spec.end.isoformat() if spec.end else None,
        "rotation_virtual_start": spec.rotation_virtual_start.isoformat(),
        "turn_length_seconds": spec.turn_length_seconds,
        "user_ids": list(spec.user_ids),
        "restrictions": [
            {
                "kind": r.kind.value,
                "start_time_of_day": r.start_time_of_day.isoformat(),
                "duration_seconds": r.duration_seconds,
                "start_day_of_week": r.start_day_of_week,
            }
            for r in spec.restrictions
        ],
    }


# decoding -------------------------------------------------------------------------------------------
def schedule_from_json(data: dict[str, Any]) -> Schedule:
    return Schedule(
        id=data["id"],
        name=data["name"],
        time_zone=ZoneInfo(data["time_zone"]),
        description=data["description"],
        layers=[
            Layer(layer["id"], [_version_from_json(v) for v in layer["versions"]]) for layer in data["layers"]
        ],
        overrides=[
            Override(
                o["id"],
                datetime.fromisoformat(o["start"]),
                datetime.fromisoformat(o["end"]),
                o["user_id"],
                o["created_seq"],
            )
            for o in data["overrides"]
        ],
        revision=data["revision"],
    )


def _version_from_json(data: dict[str, Any]) -> LayerVersion:
    spec = LayerSpec(
        name=data["name"],
        start=datetime.fromisoformat(data["start"]),
        end=datetime.fromisoformat(data["end"]) if data["end"] else None,
        rotation_virtual_start=datetime.fromisoformat(data["rotation_virtual_start"]),
        turn_length_seconds=data["turn_length_seconds"],
        user_ids=tuple(data["user_ids"]),
        restrictions=tuple(
            Restriction(
                RestrictionKind(r["kind"]),
                time.fromisoformat(r["start_time_of_day"]),
                r["duration_seconds"],
                r["start_day_of_week"],
            )
            for r in data["restrictions"]
        ),
    )
    return LayerVersion(datetime.fromisoformat(data["effective_from"]), spec)


def restore(sim: Simulator, snapshot: dict[str, Any]) -> None:
    """Replace the simulator's data with `snapshot`'s. Accounts the snapshot has but the simulator is
    not configured with are kept aside, unchanged, and written back with every later snapshot."""
    if snapshot.get("format") != FORMAT_VERSION:
        raise StateFileError(f"unknown state format {snapshot.get('format')!r} (expected {FORMAT_VERSION})")
    sim.reset_state()
    sim.ids.restore(snapshot["ids"])
    sim.restore_sequence(snapshot["sequence"])
    accounts: dict[str, Any] = snapshot["accounts"]
    for subdomain, data in accounts.items():
        account = sim.accounts.get(subdomain)
        if account is not None:
            _restore_account(account, data)
            sim.ensure_owner(account)
    sim.unconfigured_accounts = {name: data for name, data in accounts.items() if name not in sim.accounts}


def _restore_account(account: Account, data: dict[str, Any]) -> None:
    account.time_zone = data["time_zone"]
    account.users = {u["id"]: User(**u) for u in data["users"]}
    account.schedules = {s["id"]: schedule_from_json(s) for s in data["schedules"]}


# the snapshot text ----------------------------------------------------------------------------------
class SnapshotEncoder:
    """Encodes the whole state as JSON text, re-encoding only what changed since the last call:
    schedules whose revision moved, users whose fields differ, ids when more were issued."""

    def __init__(self) -> None:
        self._schedules: dict[tuple[str, str], tuple[Schedule, int, str]] = {}
        self._users: dict[tuple[str, str], tuple[tuple[Any, ...], str]] = {}
        self._ids: tuple[int, int, str] | None = None

    def encode(self, sim: Simulator) -> str:
        seen: set[tuple[str, str]] = set()
        accounts: list[str] = []
        for subdomain, account in sim.accounts.items():
            schedules = [self._schedule_text(subdomain, s, seen) for s in account.schedules.values()]
            users = [self._user_text(subdomain, u, seen) for u in account.users.values()]
            accounts.append(
                f'{json.dumps(subdomain)}: {{"time_zone": {json.dumps(account.time_zone)}, '
                f'"users": [{", ".join(users)}], "schedules": [{", ".join(schedules)}]}}'
            )
        kept = sim.unconfigured_accounts.items()
        accounts.extend(f"{json.dumps(name)}: {json.dumps(data)}" for name, data in kept)
        for cache in (self._schedules, self._users):
            for stale in cache.keys() - seen:
                del cache[stale]
        return (
            f'{{"format": {FORMAT_VERSION}, "sequence": {sim.sequence}, '
            f'"ids": {self._ids_text(sim)}, "accounts": {{{", ".join(accounts)}}}}}\n'
        )

    def _user_text(self, subdomain: str, user: User, seen: set[tuple[str, str]]) -> str:
        key = (subdomain, user.id)
        seen.add(key)
        fields = vars(user)  # flat strings: dataclasses.asdict's deep copy would cost more than the rest
        values = tuple(fields.values())
        cached = self._users.get(key)
        if cached is not None and cached[0] == values:
            return cached[1]
        text = json.dumps(fields)
        self._users[key] = (values, text)
        return text

    def _ids_text(self, sim: Simulator) -> str:
        generator, count = id(sim.ids), sim.ids.issued_count  # ids only grow within one generator
        if self._ids is None or self._ids[:2] != (generator, count):
            self._ids = (generator, count, json.dumps(sim.ids.issued()))
        return self._ids[2]

    def _schedule_text(self, subdomain: str, schedule: Schedule, seen: set[tuple[str, str]]) -> str:
        key = (subdomain, schedule.id)
        seen.add(key)
        cached = self._schedules.get(key)
        if cached is not None and cached[0] is schedule and cached[1] == schedule.revision:
            return cached[2]
        text = json.dumps(schedule_to_json(schedule))
        self._schedules[key] = (schedule, schedule.revision, text)
        return text


# the file -------------------------------------------------------------------------------------------
class StateFile:
    """One snapshot file; `write` replaces it atomically, and never with an older snapshot than the
    one it holds (a background write may still be running when the last one is made)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._written_generation = -1

    def load_into(self, sim: Simulator) -> bool:
        """Restore `sim` from the file; False when there is no file yet."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return False
        try:
            restore(sim, json.loads(text))
        except (ValueError, KeyError, TypeError) as error:
            raise StateFileError(f"{self.path} cannot be read back ({error!r})") from error
        return True

    def write(self, text: str, generation: int) -> None:
        """Replace the file with `text`, the state after `generation` writes, unless it holds a later one."""
        with self._lock:
            if generation < self._written_generation:
                return
            self._replace(text)
            self._written_generation = generation

    def _replace(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
            raise


class StateSaver:
    """Snapshots `sim` into `state_file` when its data may have changed, at most every `interval_s`."""

    def __init__(self, sim: Simulator, state_file: StateFile, interval_s: float = 1.0) -> None:
        self.sim, self.state_file, self.interval_s = sim, state_file, interval_s
        self._encoder = SnapshotEncoder()
        self._saved_writes: int | None = None

    def save_now(self) -> None:
        """Write a snapshot unless nothing was written since the last one."""
        writes = self.sim.writes
        if writes == self._saved_writes:
            return
        self.state_file.write(self._encoder.encode(self.sim), writes)
        self._saved_writes = writes

    async def run(self) -> None:
        """Save on a short debounce until cancelled. The text is made on the loop (a consistent view
        of the state); writing it to disk happens in a thread."""
        while True:
            await asyncio.sleep(self.interval_s)
            writes = self.sim.writes
            if writes == self._saved_writes:
                continue
            text = self._encoder.encode(self.sim)
            try:
                await asyncio.to_thread(self.state_file.write, text, writes)
            except OSError as error:  # keep serving; the next round tries again
                log.error("pagerduty-sim: could not write %s: %s", self.state_file.path, error)
                continue
            self._saved_writes = writes

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Save in the background while the block runs, and a last time when it ends."""
        task = asyncio.create_task(self.run())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            self.save_now()


def open_saver(sim: Simulator, path: Path, *, fresh: bool = False, interval_s: float = 1.0) -> StateSaver:
    """Load `path` into `sim` (unless `fresh`) and write it back at once: a fresh start replaces the
    old data for good, and a folder that cannot be written fails here rather than later."""
    state_file = StateFile(path)
    if not fresh and state_file.load_into(sim):
        users = sum(len(a.users) for a in sim.accounts.values())
        schedules = sum(len(a.schedules) for a in sim.accounts.values())
        log.info("pagerduty-sim: loaded %d users and %d schedules from %s", users, schedules, path)
    saver = StateSaver(sim, state_file, interval_s)
    saver.save_now()
    return saver
