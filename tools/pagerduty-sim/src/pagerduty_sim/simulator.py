"""The whole simulated PagerDuty: accounts chosen by key, a clock, a DST reading, id and order counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pagerduty_sim.clock import SimClock
from pagerduty_sim.ids import IdGenerator
from pagerduty_sim.model.account import Account, AccountConfig, Region, User
from pagerduty_sim.model.schedule import Schedule
from pagerduty_sim.rendering import DstReading
from pagerduty_sim.writes import WriteLog

DEFAULT_ABILITIES = ("teams", "read_only_users", "advanced_permissions", "manage_schedules")


@dataclass(frozen=True)
class SimulatorConfig:
    """Settings fixed at start: the accounts, the DST reading, and whether `From` is enforced."""

    accounts: tuple[AccountConfig, ...]
    dst: DstReading = DstReading.FIXED
    strict_from: bool = False
    abilities: tuple[str, ...] = DEFAULT_ABILITIES


@dataclass(frozen=True)
class Caller:
    """The account a request acts on, and whether its key may only read."""

    account: Account
    read_only: bool


@dataclass
class Simulator:
    """Mutable state of all accounts. Not thread-safe: the HTTP layer serialises access."""

    config: SimulatorConfig
    clock: SimClock = field(default_factory=SimClock)
    accounts: dict[str, Account] = field(init=False)
    ids: IdGenerator = field(init=False)
    # Requests that may have changed data, counted by the HTTP layer; persistence saves when it moves.
    writes: int = field(init=False, default=0)
    # Data of accounts a loaded snapshot holds but this run is not configured with: kept, not served.
    unconfigured_accounts: dict[str, Any] = field(init=False, default_factory=dict)
    # When each schedule write was applied (real time), for measuring; not persisted.
    write_log: WriteLog = field(init=False, default_factory=WriteLog)
    _sequence: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.reset_state()

    def reset_state(self) -> None:
        """Forget every user, schedule and override (accounts themselves stay)."""
        self.accounts = {config.subdomain: Account(config) for config in self.config.accounts}
        self.ids = IdGenerator()
        self.unconfigured_accounts = {}
        self._sequence = 0
        self.write_log.clear()
        for account in self.accounts.values():
            self.ensure_owner(account)

    def ensure_owner(self, account: Account) -> None:
        """Give the account its configured owner unless a user with that e-mail exists."""
        email = account.config.owner_email
        if email is None or account.user_by_email(email) is not None:
            return
        owner = User(self.ids.new_id(), "Account Owner", email, account.time_zone, "owner")
        account.users = {owner.id: owner, **account.users}

    def caller_for_key(self, key: str, region: Region | None = None) -> Caller | None:
        """The account `key` opens; with `region`, only among that region's accounts (each region is a
        separate PagerDuty service: a key is unknown in the other one)."""
        for account in self.accounts.values():
            if region is not None and account.config.region is not region:
                continue
            if key == account.config.api_key:
                return Caller(account, read_only=False)
            if key in account.config.read_only_keys:
                return Caller(account, read_only=True)
        return None

    def account_for_key(self, key: str) -> Account:
        caller = self.caller_for_key(key)
        if caller is None:
            raise KeyError("unknown API key")
        return caller.account

    def applied(self, account: Account, schedule: Schedule, operation: str) -> None:
        """Record a write that produced the schedule's current revision (after `schedule.touch()`,
        or at creation)."""
        self.write_log.record(account.config.subdomain, schedule.id, schedule.revision, operation)

    @property
    def sequence(self) -> int:
        return self._sequence

    def restore_sequence(self, value: int) -> None:
        self._sequence = value

    def next_sequence(self) -> int:
        """A counter that orders creations (the override created last wins)."""
        self._sequence += 1
        return self._sequence
