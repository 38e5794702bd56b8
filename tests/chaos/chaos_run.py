"""`make chaos`: the whole system under faults while changes flow, then every schedule compared.

Its own Kafka and PostgreSQL (chaos_infra), the simulator, and two processes of each service. A steady
stream of shift changes goes through both API processes; faults come one after another, then several
at once. After each fault clears, the time until every PagerDuty schedule was seen equal to the
scheduler (now to the horizon) is measured. When the stream stops, every schedule is compared to the
second through PagerDuty's public API with `timeline_difference` below (not the sync's own code), and a
table and a JSON report are written.

    uv run python tests/chaos/chaos_run.py --short|--full [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from chaos_infra import REPO, OwnInfra

from localsystem.api import ApiError, RotationApi
from localsystem.databases import ensure_databases, service_database_url
from localsystem.pagerduty import PagerDutyView
from localsystem.system import DATABASE_SERVICES, DemoAccount, LocalSystem, SystemConfig, replica_name
from localsystem.timelines import parse_instant
from localsystem.walkthrough import last_monday_0900
from oncall_contracts.topics import Topics
from oncall_platform.kafka import ensure_topics
from oncall_testing.eventually import eventually_sync

ZONE = "Europe/Berlin"
DAY, NIGHT = ("08:00", "20:00"), ("20:00", "08:00")
SERVICES = tuple(service.name for service in DATABASE_SERVICES)
KEY_LIMIT_PER_MINUTE = 960


@dataclass(frozen=True)
class Plan:
    name: str
    # each group: a day rotation (own, with backup), a night one merged into it, and a plain one
    groups_per_account: int
    rate_per_s: float
    min_stream_s: float
    kafka_down_s: float
    killed_down_s: float  # how long a SIGKILLed process stays down before it is started again
    simulator_fault_s: float
    converge_within_s: float
    kill_every_process: bool  # else one process of each service
    latency_fault: bool
    reconcile_interval_s: float
    user_check_interval_s: float
    horizon_days: int = 28

    @property
    def rotations(self) -> int:
        return 2 * (self.groups_per_account * 3 + 1)


SHORT = Plan(
    name="short",
    groups_per_account=1,
    rate_per_s=1.0,
    min_stream_s=40.0,
    kafka_down_s=10.0,
    killed_down_s=3.0,
    simulator_fault_s=8.0,
    converge_within_s=90.0,
    kill_every_process=False,
    latency_fault=False,
    reconcile_interval_s=4.0,
    user_check_interval_s=5.0,
)
FULL = Plan(
    name="full",
    groups_per_account=8,
    rate_per_s=5.0,
    min_stream_s=300.0,
    kafka_down_s=60.0,
    killed_down_s=5.0,
    simulator_fault_s=30.0,
    converge_within_s=240.0,
    kill_every_process=True,
    latency_fault=True,
    reconcile_interval_s=30.0,
    user_check_interval_s=30.0,
)


# the comparison -----------------------------------------------------------------------------------
Span = tuple[int, int, str]  # [start, end) in Unix seconds, e-mail


def timeline_difference(expected: list[Span], actual: list[Span], since: int, until: int) -> int:
    """Seconds of [since, until) in which the two timelines do not name the same set of people."""
    cuts = {since, until}
    for start, end, _ in expected + actual:
        cuts.update(value for value in (start, end) if since < value < until)
    ordered = sorted(cuts)
    differing = 0
    for left, right in pairwise(ordered):
        if _people_at(expected, left) != _people_at(actual, left):
            differing += right - left
    return differing


def _people_at(spans: list[Span], instant: int) -> frozenset[str]:
    return frozenset(who for start, end, who in spans if start <= instant < end)


def _seconds(text: str) -> int:
    return int(parse_instant(text).timestamp())


@dataclass(frozen=True)
class Feed:
    """A PagerDuty schedule and the (rotation, role) timelines that make it up."""

    account: str
    schedule_id: str
    sources: tuple[tuple[str, str], ...]


# the world --------------------------------------------------------------------------------------
@dataclass
class Rotation:
    id: str
    account: str
    kind: str  # day, night (merged into its group's day rotation), plain, quiet
    backup: bool
    members: list[str]
    owner_id: str  # the rotation whose schedules show it (itself, or the one it is merged with)


@dataclass
class Ledger:
    """What the API acknowledged, per shift: the last person set, and people of unanswered attempts."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    last: dict[tuple[str, str], str] = field(default_factory=dict)
    unanswered: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    made: int = 0
    refused: int = 0
    retried: int = 0


class Chaos:
    def __init__(self, plan: Plan, state_dir: Path, say: Callable[[str], None] = print) -> None:
        self.plan = plan
        self.state_dir = state_dir
        self.say = say
        self.infra = OwnInfra(state_dir / "infra")
        self.accounts = (DemoAccount(subdomain="chaos1"), DemoAccount(subdomain="chaos2"))
        self.system: LocalSystem | None = None
        self.apis: list[RotationApi] = []
        self.views: dict[str, PagerDutyView] = {}
        self.rotations: list[Rotation] = []
        self.ledger = Ledger()
        self.faults: list[dict[str, Any]] = []
        self.started = time.monotonic()

    # lifecycle ----------------------------------------------------------------------------------
    @contextmanager
    def running(self) -> Iterator[Chaos]:
        try:
            self.infra.start()
            self._start_system()
            yield self
        finally:
            for api in self.apis:
                api.close()
            for view in self.views.values():
                view.close()
            if self.system is not None:
                self.system.stop()
            self.infra.stop()

    def _start_system(self) -> None:
        topics = Topics(prefix="chaos.")
        asyncio.run(ensure_topics(self.infra.bootstrap, topics.specs()))
        names = {name: f"chaos_{name.replace('-', '_')}" for name in SERVICES}
        asyncio.run(ensure_databases(self.infra.database_url, list(names.values())))
        urls = {name: service_database_url(self.infra.database_url, db) for name, db in names.items()}
        self.system = LocalSystem(
            SystemConfig(
                kafka_bootstrap_servers=self.infra.bootstrap,
                state_dir=self.state_dir / "system",
                database_urls=urls,
                topic_prefix=topics.prefix,
                account=self.accounts[0],
                extra_accounts=self.accounts[1:],
                jwt_secret=uuid.uuid4().hex + uuid.uuid4().hex,
                log_level="WARNING",
                services=SERVICES,
                replicas=2,
                extra_env={
                    "RECONCILE_INTERVAL_SECONDS": str(self.plan.reconcile_interval_s),
                    "USER_CHECK_INTERVAL_SECONDS": str(self.plan.user_check_interval_s),
                },
            )
        )
        self.system.start(ready_timeout_s=180)
        token = self.system.token("lead@example.com")
        self.apis = [
            RotationApi(self.system.replica_url("rotation-service", n), token, timeout_s=20) for n in (1, 2)
        ]
        for account in self.accounts:
            self.views[account.subdomain] = PagerDutyView(self.system.simulator_url, account.api_key)
        self.say(f"system up: {len(self.system.processes)} processes ({self._since_start()})")

    def _since_start(self) -> str:
        return f"{time.monotonic() - self.started:.0f} s"

    @property
    def api(self) -> RotationApi:
        return self.apis[0]

    # set-up -------------------------------------------------------------------------------------
    def set_up(self) -> None:
        horizon = self.plan.horizon_days
        first = last_monday_0900(ZONE)
        owners: list[Rotation] = []
        for account_index, account in enumerate(self.accounts):
            for group in range(self.plan.groups_per_account):
                tag = f"a{account_index + 1}g{group + 1}"
                kinds = (("day", DAY, True), ("night", NIGHT, True), ("plain", None, False))
                day_id = ""
                for kind, coverage, backup in kinds:
                    created = self.api.create_rotation(
                        f"Chaos {tag} {kind}", ZONE, first, period="P1D", coverage=coverage,
                        backup=backup, horizon_days=horizon,
                    )  # fmt: skip
                    rotation_id = str(created["id"])
                    day_id = day_id or rotation_id
                    members = [f"{tag}{kind[0]}{n}@example.com" for n in range(1, 5)]
                    for email in members:
                        self.api.add_member(rotation_id, email, email.split("@")[0], ZONE)
                    owner = day_id if kind == "night" else rotation_id
                    rotation = Rotation(rotation_id, account.subdomain, kind, backup, members, owner)
                    self.rotations.append(rotation)
                    if kind != "night":
                        owners.append(rotation)
        for account_index, account in enumerate(self.accounts):  # no stream: the hand edits' targets
            tag = f"quiet{account_index + 1}"
            name = f"Chaos {tag}"
            created = self.api.create_rotation(name, ZONE, first, period="P1D", horizon_days=horizon)
            quiet_members = [f"{tag}m{n}@example.com" for n in range(1, 4)]
            for email in quiet_members:
                self.api.add_member(str(created["id"]), email, email.split("@")[0], ZONE)
            quiet = Rotation(
                str(created["id"]), account.subdomain, "quiet", False, quiet_members, str(created["id"])
            )
            self.rotations.append(quiet)
            owners.append(quiet)
        keys = {account.subdomain: account.api_key for account in self.accounts}
        for rotation in owners:
            self.api.configure_own(rotation.id, rotation.account, keys[rotation.account])
        eventually_sync(
            lambda: all(len(self._schedule_ids(r)) == (2 if r.backup else 1) for r in owners),
            within=120 + 2 * len(owners),
            what="every rotation's PagerDuty schedules reported",
            interval=1.0,
        )
        for rotation in self.rotations:
            if rotation.kind == "night":
                self.api.configure_merge(rotation.id, rotation.owner_id)
        self.say(f"{len(self.rotations)} rotations configured ({self._since_start()})")
        self.converge("set-up", time.monotonic())

    def _schedule_ids(self, rotation: Rotation) -> dict[str, str]:
        status = self.api.integration(rotation.id)
        return {s["role"]: s["schedule_id"] for s in status["schedules"] if s.get("schedule_id")}

    def feeds(self) -> list[Feed]:
        found: list[Feed] = []
        for owner in (r for r in self.rotations if r.owner_id == r.id):
            merged = [r for r in self.rotations if r.owner_id == owner.id]
            for role, schedule_id in sorted(self._schedule_ids(owner).items()):
                found.append(Feed(owner.account, schedule_id, tuple((r.id, role) for r in merged)))
        return found

    # the comparison -----------------------------------------------------------------------------
    def window(self) -> tuple[datetime, datetime]:
        since = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        return since, since + timedelta(days=self.plan.horizon_days - 2)

    def scheduler_spans(self, feed: Feed, since: datetime, until: datetime) -> list[Span]:
        spans: list[Span] = []
        for rotation_id, role in feed.sources:
            for entry in self.api.oncall(rotation_id, role, since, until):
                spans.append((int(entry.start.timestamp()), int(entry.end.timestamp()), entry.who.lower()))
        return spans

    def pagerduty_spans(
        self,
        feed: Feed,
        since: datetime,
        until: datetime,
        *,
        public: bool,
        emails: dict[str, str] | None = None,
    ) -> list[Span]:
        """The schedule's final rendering: through PagerDuty's public GET /schedules/{id} (`public`), or
        the simulator's inspection route (not counted against the key: used while polling)."""
        view = self.views[feed.account]
        emails = emails if emails is not None else view.users_by_id()
        if public:
            schedule = view.schedule(feed.schedule_id, since, until)
            rendered = schedule["final_schedule"]["rendered_schedule_entries"]
            raw = [(e["start"], e["end"], e["user"]["id"]) for e in rendered]
        else:
            raw = view.final_user_ids(feed.schedule_id, since, until)
        return [(_seconds(a), _seconds(b), emails.get(who, who)) for a, b, who in raw]

    def differing(self, feed: Feed, *, public: bool = False, emails: dict[str, str] | None = None) -> int:
        since, until = self.window()
        expected = self.scheduler_spans(feed, since, until)
        actual = self.pagerduty_spans(feed, since, until, public=public, emails=emails)
        if not expected:
            raise AssertionError(f"the scheduler shows nobody on call for {feed}")
        return timeline_difference(expected, actual, int(since.timestamp()), int(until.timestamp()))

    def converge(self, fault: str, cleared_at: float) -> float:
        """Seconds from `cleared_at` until every schedule was seen equal to the scheduler at least once
        (the stream keeps changing them, so not necessarily all at the same moment)."""
        matched: set[tuple[str, tuple[tuple[str, str], ...]]] = set()

        def all_seen() -> bool:
            feeds = self.feeds()
            emails = {name: view.users_by_id() for name, view in self.views.items()}
            for feed in feeds:
                key = (feed.schedule_id, feed.sources)
                if key not in matched and self.differing(feed, emails=emails[feed.account]) == 0:
                    matched.add(key)
            return all((feed.schedule_id, feed.sources) in matched for feed in feeds)

        within = self.plan.converge_within_s
        eventually_sync(all_seen, within=within, what=f"in step after {fault}", interval=0.5)
        took = time.monotonic() - cleared_at
        self.say(f"  {fault}: in step {took:.1f} s after it cleared ({self._since_start()})")
        return took

    # the stream of changes ----------------------------------------------------------------------
    def stream_targets(self) -> list[tuple[Rotation, dict[str, Any]]]:
        now = datetime.now(UTC)
        since, until = now + timedelta(days=2), now + timedelta(days=self.plan.horizon_days - 3)
        targets: list[tuple[Rotation, dict[str, Any]]] = []
        per_rotation: list[list[tuple[Rotation, dict[str, Any]]]] = []
        for rotation in (r for r in self.rotations if r.kind != "quiet"):
            shifts = [s for s in self.api.shifts(rotation.id, since, until) if s["primary"]]
            per_rotation.append([(rotation, s) for s in shifts if parse_instant(s["start"]) >= since])
        for row in zip(*per_rotation, strict=False):  # round robin over the rotations
            targets.extend(row)
        return targets

    @contextmanager
    def stream(self) -> Iterator[threading.Event]:
        targets = self.stream_targets()
        stop = threading.Event()
        busy: set[tuple[str, str]] = set()
        busy_lock = threading.Lock()

        def change(index: int) -> None:
            rotation, shift = targets[index % len(targets)]
            key = (rotation.id, str(shift["id"]))
            with busy_lock:
                if key in busy:
                    return
                busy.add(key)
            try:
                self._change(rotation, shift, index)
            finally:
                with busy_lock:
                    busy.discard(key)

        def pace() -> None:
            with ThreadPoolExecutor(max_workers=8) as pool:
                started, index = time.monotonic(), 0
                while not stop.is_set():
                    delay = started + index / self.plan.rate_per_s - time.monotonic()
                    if delay > 0:
                        stop.wait(delay)  # the stream's own pace, not a wait for a condition
                        continue
                    pool.submit(change, index)
                    index += 1

        thread = threading.Thread(target=pace, name="chaos-stream", daemon=True)
        thread.start()
        try:
            yield stop
        finally:
            stop.set()
            thread.join(120)

    def _change(self, rotation: Rotation, shift: dict[str, Any], index: int) -> None:
        key = (rotation.id, str(shift["id"]))
        taken = {shift["primary"], shift.get("backup")}
        person = next(m for m in rotation.members[index % 2 :] + rotation.members if m not in taken)
        deadline = time.monotonic() + 90
        attempt = 0
        with self.ledger.lock:
            self.ledger.unanswered[key].add(person)
        while True:
            api = self.apis[(index + attempt) % 2]
            try:
                api.reassign_shift(rotation.id, str(shift["id"]), primary=person)
                break
            except ApiError as error:
                if error.status_code < 500 and error.status_code not in (408, 429):
                    # e.g. 422 when the scheduler moved the backup meanwhile: the next change of this
                    # shift starts from what the scheduler shows now.
                    with self.ledger.lock:
                        self.ledger.refused += 1
                        if attempt == 0:  # no earlier attempt that may have been applied unanswered
                            self.ledger.unanswered[key].discard(person)
                    self._refresh(rotation, shift)
                    return
            except httpx.HTTPError:
                pass
            attempt += 1
            with self.ledger.lock:
                self.ledger.retried += 1
            if time.monotonic() > deadline:
                return  # never answered: the person stays in `unanswered` (it may have been applied)
            time.sleep(min(2.0, 0.2 * attempt))  # a client's back-off between attempts
        shift["primary"] = person
        with self.ledger.lock:
            self.ledger.last[key] = person
            self.ledger.unanswered[key].discard(person)
            self.ledger.made += 1

    def _refresh(self, rotation: Rotation, shift: dict[str, Any]) -> None:
        start, end = parse_instant(shift["start"]), parse_instant(shift["end"])
        for current in self.api.shifts(rotation.id, start, end):
            if current["id"] == shift["id"]:
                shift["primary"], shift["backup"] = current["primary"], current.get("backup")

    # faults ---------------------------------------------------------------------------------------
    def sim_faults(self, **settings: Any) -> None:
        self.views[self.accounts[0].subdomain].faults(**settings)

    def fault(self, name: str, inject: Callable[[], object], clear: Callable[[], object]) -> None:
        self.say(f"fault: {name} ({self._since_start()})")
        made_before = self.ledger.made
        effect = inject()
        clear()
        cleared = time.monotonic()
        took = self.converge(name, cleared)
        record: dict[str, Any] = {
            "fault": name,
            "converged_s": round(took, 1),
            "changes_during": self.ledger.made - made_before,
        }
        if isinstance(effect, int):
            record["differing_seconds_made"] = effect
        self.faults.append(record)

    def kill(self, process: str) -> Callable[[], None]:
        assert self.system is not None
        system = self.system

        def inject() -> None:
            system.kill(process)
            self._hold(self.plan.killed_down_s)

        return inject

    def _hold(self, seconds: float) -> None:
        """A fault lasts this long while the stream flows (the fault's length, not a wait for a condition)."""
        time.sleep(seconds)

    def start_again(self, process: str) -> Callable[[], None]:
        assert self.system is not None
        system = self.system
        return lambda: system.start_again(process, ready_timeout_s=120)

    def run_faults(self) -> None:
        plan = self.plan
        kill_list = [replica_name(s, n) for s in SERVICES for n in (1, 2)]
        if not plan.kill_every_process:
            kill_list = ["rotation-service", "user-provisioner#2"]  # pd-sync is killed in the overlap
        for process in kill_list:
            self.fault(f"SIGKILL {process}", self.kill(process), self.start_again(process))

        def kafka_down() -> None:
            self.infra.stop_kafka()
            self._hold(plan.kafka_down_s)

        self.fault(f"Kafka stopped {plan.kafka_down_s:.0f} s", kafka_down, self.infra.start_kafka)
        self.fault("PostgreSQL restarted", self.infra.stop_postgres, self.infra.start_postgres)
        simulator: list[tuple[str, dict[str, Any]]] = [
            ("simulator answers lost after the write was applied", {"lose_answer_rate": 0.5})
        ]
        if plan.name == "full":
            simulator = [
                ("simulator 30 % 5xx", {"error_rate": 0.3}),
                ("simulator 429 bursts", {"rate_limit_next": 60}),
                ("simulator answers lost after the write was applied", {"lose_answer_rate": 0.3}),
                ("simulator 2 s latency", {"latency_ms": 2000}),
            ]
        for name, settings in simulator:
            self.fault(name, self._sim_fault(settings), self.sim_faults)
        self.hand_edits()
        self.overlap()

    def _sim_fault(self, settings: dict[str, Any]) -> Callable[[], None]:
        def inject() -> None:
            self.sim_faults(seed=7, **settings)
            if "rate_limit_next" in settings:  # bursts: a fresh one every few seconds
                for _ in range(int(self.plan.simulator_fault_s // 4)):
                    self._hold(4)
                    self.sim_faults(**settings)
            else:
                self._hold(self.plan.simulator_fault_s)

        return inject

    def hand_edits(self) -> None:
        """On the first key's quiet rotation a layer is changed, then its schedule deleted; on the
        second key's the user on call is deleted."""
        quiet, other = [r for r in self.rotations if r.kind == "quiet"]
        view = self.views[quiet.account]

        def schedule_id() -> str:
            return self._schedule_ids(quiet)["primary"]

        def drift(rotation: Rotation) -> int:
            """What the edit did to PagerDuty, right after it (it must differ, or nothing was tested)."""
            [feed] = [f for f in self.feeds() if f.sources == ((rotation.id, "primary"),)]
            return self.differing(feed)

        def change_layer() -> int:
            someone = next(uid for uid, email in view.users_by_id().items() if email == quiet.members[0])
            _edit_layer(view, schedule_id(), someone)
            return drift(quiet)

        def delete_schedule() -> int:
            since, until = self.window()
            deleted = schedule_id()
            view.delete_schedule(deleted)
            return int((until - since).total_seconds())  # all of it: PagerDuty shows no schedule

        def delete_on_call_user() -> int:
            now = datetime.now(UTC)
            [entry, *_] = self.api.oncall(other.id, "primary", now, now + timedelta(days=2))
            users = self.views[other.account].users_by_id()
            [user_id] = [uid for uid, email in users.items() if email == entry.who.lower()]
            self.views[other.account].delete_user(user_id)
            return drift(other)

        nothing: Callable[[], None] = lambda: None  # noqa: E731 - the hand edit is the whole fault
        self.fault("by hand: a layer changed", change_layer, nothing)
        self.fault("by hand: a schedule deleted", delete_schedule, nothing)
        self.fault("by hand: the on-call user deleted", delete_on_call_user, nothing)

    def overlap(self) -> None:
        plan = self.plan
        settings: dict[str, Any] = {"error_rate": 0.3, "lose_answer_rate": 0.1, "rate_limit_next": 20}
        if plan.latency_fault:
            settings["latency_ms"] = 2000
        killed = ["pd-sync-service", "rotation-service#2"] if plan.name == "full" else ["pd-sync-service"]

        def inject() -> None:
            self.sim_faults(seed=11, **settings)
            for process in killed:
                assert self.system is not None
                self.system.kill(process)
            if plan.name == "full":
                self.infra.stop_kafka()
            self._hold(plan.simulator_fault_s)

        def clear() -> None:
            if plan.name == "full":
                self.infra.start_kafka()
            for process in killed:
                self.start_again(process)()
            self.sim_faults()

        names = ", ".join(f"SIGKILL {p}" for p in killed)
        extra = " + Kafka stopped" if plan.name == "full" else ""
        self.fault(f"together: simulator 5xx/429/lost answers, {names}{extra}", inject, clear)

    # the final comparison -----------------------------------------------------------------------
    def final_report(self, stream_s: float) -> dict[str, Any]:
        self.say(f"stream stopped; comparing every schedule ({self._since_start()})")
        settled = time.monotonic()
        eventually_sync(
            lambda: all(self.differing(feed) == 0 for feed in self.feeds()),
            within=self.plan.converge_within_s,
            what="every schedule equal to the scheduler after the stream stopped",
            interval=1.0,
        )
        settle_s = time.monotonic() - settled
        feeds = self.feeds()
        differing = {feed.schedule_id: self.differing(feed, public=True) for feed in feeds}
        lost = self.lost_changes(feeds)
        requests: list[dict[str, Any]] = []
        for view in {id(v): v for v in self.views.values()}.values():
            requests = view.requests()  # one simulator: the log holds every account's requests
            break
        busiest = busiest_minute(requests)
        served = Counter(_fault_status(r.get("status")) for r in requests)
        duplicate_users, duplicate_schedules = self.duplicates(feeds)
        return {
            "form": self.plan.name,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "rotations": len(self.rotations),
            "schedules": len(feeds),
            "processes": sorted(self.system.processes) if self.system else [],
            "stream_s": round(stream_s),
            "rate_per_s": self.plan.rate_per_s,
            "changes_made": self.ledger.made,
            "changes_refused": self.ledger.refused,
            "changes_unanswered": sum(1 for people in self.ledger.unanswered.values() if people),
            "api_retries": self.ledger.retried,
            "changes_lost": lost,
            "duplicate_users": duplicate_users,
            "duplicate_schedules": duplicate_schedules,
            "differing_seconds": sum(differing.values()),
            "differing_by_schedule": {k: v for k, v in differing.items() if v},
            "max_requests_per_key_minute": max(busiest.values(), default=0),
            "requests_per_key_minute": busiest,
            "pagerduty_requests": len(requests),
            "pagerduty_faults_served": {k: v for k, v in served.items() if k != "ok"},
            "settled_after_stream_s": round(settle_s, 1),
            "faults": self.faults,
        }

    def lost_changes(self, feeds: list[Feed]) -> int:
        """Acknowledged changes the scheduler does not show, or PagerDuty does not show, at the end."""
        lost = 0
        now = datetime.now(UTC)
        by_rotation: dict[str, dict[str, dict[str, Any]]] = {}
        for rotation in (r for r in self.rotations if r.kind != "quiet"):
            shifts = self.api.shifts(rotation.id, now, now + timedelta(days=self.plan.horizon_days))
            by_rotation[rotation.id] = {str(s["id"]): s for s in shifts}
        feed_of = {source: feed for feed in feeds for source in feed.sources}
        since, until = self.window()
        shown = {feed.schedule_id: self.pagerduty_spans(feed, since, until, public=False) for feed in feeds}
        for (rotation_id, shift_id), person in self.ledger.last.items():
            shift = by_rotation[rotation_id].get(shift_id)
            acceptable = {person} | self.ledger.unanswered.get((rotation_id, shift_id), set())
            if shift is None or shift["primary"] not in acceptable:
                lost += 1
                continue
            start, end = parse_instant(shift["start"]), parse_instant(shift["end"])
            entries = self.api.oncall(rotation_id, "primary", max(start, since), min(end, until))
            spans = shown[feed_of[rotation_id, "primary"].schedule_id]
            for entry in entries:
                a, b = int(entry.start.timestamp()), int(entry.end.timestamp())
                if entry.who.lower() != shift["primary"] or not _covered(spans, a, b, shift["primary"]):
                    lost += 1
                    break
        return lost

    def duplicates(self, feeds: list[Feed]) -> tuple[int, int]:
        """PagerDuty users sharing an e-mail; schedules beyond the ones the rotations report."""
        duplicate_users = duplicate_schedules = 0
        in_use = {feed.schedule_id for feed in feeds}
        for view in self.views.values():
            emails = Counter(view.users_by_id().values())
            duplicate_users += sum(count - 1 for count in emails.values() if count > 1)
            duplicate_schedules += sum(1 for s in view.schedules() if s["id"] not in in_use)
        return duplicate_users, duplicate_schedules


def _fault_status(status: object) -> str:
    """How the simulator answered, by the faults the run injects."""
    if status == "answer lost":
        return "answer lost"
    if status == 429:
        return "429"
    if isinstance(status, int) and status >= 500:
        return "5xx"
    return "ok"


def _covered(spans: list[Span], start: int, end: int, who: str) -> bool:
    """`who` is on call in `spans` for every second of [start, end)."""
    ours = sorted((a, b) for a, b, person in spans if person == who and b > start and a < end)
    reached = start
    for a, b in ours:
        if a > reached:
            return False
        reached = max(reached, b)
    return reached >= end


def _edit_layer(view: PagerDutyView, schedule_id: str, user_id: str) -> None:
    """Someone puts `user_id` on every turn of the schedule's newest layer in PagerDuty's web UI."""
    schedule = view.schedule_definition(schedule_id)
    now = datetime.now(UTC)
    layers = list(reversed(schedule["schedule_layers"]))  # GET lists them newest first
    live = [layer for layer in layers if layer["end"] is None or parse_instant(layer["end"]) > now]
    live[-1]["users"] = [{"user": {"id": user_id, "type": "user_reference"}}]
    view.replace_schedule(schedule_id, {**schedule, "schedule_layers": live})


def busiest_minute(requests: list[dict[str, Any]]) -> dict[str, int]:
    """Per account (one key each): the most requests in any sliding 60-second window."""
    stamps: dict[str, list[datetime]] = defaultdict(list)
    for request in requests:
        stamps[str(request.get("account"))].append(parse_instant(request["time"]))
    best: dict[str, int] = {}
    for account, times in stamps.items():
        times.sort()
        left, most = 0, 0
        for right, stamp in enumerate(times):
            while (stamp - times[left]).total_seconds() >= 60:
                left += 1
            most = max(most, right - left + 1)
        best[account] = most
    return best


def table(report: dict[str, Any]) -> str:
    rows = [
        ("form", report["form"]),
        ("date", report["date"]),
        ("rotations / schedules", f"{report['rotations']} / {report['schedules']}"),
        ("processes", len(report["processes"])),
        ("stream", f"{report['rate_per_s']:g}/s for {report['stream_s']} s"),
        ("changes made", report["changes_made"]),
        ("changes lost", report["changes_lost"]),
        ("duplicate users", report["duplicate_users"]),
        ("duplicate schedules", report["duplicate_schedules"]),
        ("differing seconds", report["differing_seconds"]),
        ("max requests / key / minute", f"{report['max_requests_per_key_minute']} (limit 960)"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    lines.append("")
    fault_width = max(len(f["fault"]) for f in report["faults"])
    lines.append(f"{'fault':<{fault_width}}  in step after (s)  changes during")
    for fault in report["faults"]:
        converged, during = fault["converged_s"], fault["changes_during"]
        lines.append(f"{fault['fault']:<{fault_width}}  {converged:>17}  {during:>14}")
    return "\n".join(lines)


def run(plan: Plan, state_dir: Path, say: Callable[[str], None] = print) -> dict[str, Any]:
    chaos = Chaos(plan, state_dir, say)
    with chaos.running():
        chaos.set_up()
        with chaos.stream():
            stream_started = time.monotonic()
            chaos.run_faults()
            rest = plan.min_stream_s - (time.monotonic() - stream_started)
            if rest > 0:
                chaos._hold(rest)  # the stream runs its planned length
            stream_s = time.monotonic() - stream_started
        return chaos.final_report(stream_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--short", action="store_const", const=SHORT, dest="plan")
    form.add_argument("--full", action="store_const", const=FULL, dest="plan")
    parser.add_argument("--json", type=Path, default=None, help="where the report goes")
    args = parser.parse_args(argv)
    plan: Plan = args.plan or FULL
    run_id = f"{plan.name}-{uuid.uuid4().hex[:6]}"
    state_dir = REPO / ".local" / "chaos" / run_id
    report = run(plan, state_dir, lambda line: print(line, flush=True))
    path = args.json or REPO / ".local" / "chaos" / f"report-{plan.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(report))
    print(f"\nreport: {path}")
    ok = (
        report["changes_lost"] == 0
        and report["duplicate_users"] == 0
        and report["duplicate_schedules"] == 0
        and report["differing_seconds"] == 0
        and report["max_requests_per_key_minute"] <= KEY_LIMIT_PER_MINUTE
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
