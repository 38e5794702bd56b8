"""Accounts and their users."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pagerduty_sim.model.schedule import Schedule


class Region(StrEnum):
    US = "us"
    EU = "eu"


@dataclass(frozen=True)
class AccountConfig:
    """How an account is reached: its web subdomain, its full-access key and its region; the e-mail of
    its owner (a real account always has one; without it the account starts with no users)."""

    subdomain: str
    api_key: str
    region: Region = Region.US
    read_only_keys: tuple[str, ...] = ()
    owner_email: str | None = None

    @property
    def api_base(self) -> str:
        return "https://api.eu.pagerduty.com" if self.region is Region.EU else "https://api.pagerduty.com"

    @property
    def web_base(self) -> str:
        domain = "eu.pagerduty.com" if self.region is Region.EU else "pagerduty.com"
        return f"https://{self.subdomain}.{domain}"


@dataclass
class User:
    id: str
    name: str
    email: str
    time_zone: str
    role: str
    color: str = "purple"
    job_title: str | None = None
    description: str | None = None


@dataclass
class Account:
    """One isolated PagerDuty account: users and schedules keyed by id, in creation order."""

    config: AccountConfig
    users: dict[str, User] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    time_zone: str = "Etc/UTC"

    def user_by_email(self, email: str) -> User | None:
        """E-mail addresses are unique per account, compared case-insensitively."""
        wanted = email.casefold()
        return next((user for user in self.users.values() if user.email.casefold() == wanted), None)
