"""The provisioner's settings, read from the environment (twelve-factor)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from oncall_platform.settings import ServiceSettings

PagerDutyRole = Literal[
    "admin",
    "limited_user",
    "observer",
    "owner",
    "read_only_user",
    "restricted_access",
    "read_only_limited_user",
    "user",
]


class ProvisionerSettings(ServiceSettings):
    """`DATABASE_URL` defaults to a local SQLite file; `PAGERDUTY_BASE_URL` and `PAGERDUTY_EU_BASE_URL`
    point at the simulator.

    `PAGERDUTY_FROM_EMAIL` is sent as `From` on `POST /users` (PagerDuty wants an account user's
    e-mail). `PAGERDUTY_BUDGET_SHARE` caps this process at that share of each key's 960 requests a
    minute. Both services share each key by following PagerDuty's ratelimit headers (see
    `oncall_pagerduty.RequestBudget`), so neither needs a static split: the default is the whole key.
    """

    database_url: str = "sqlite:///./user-provisioner.db"
    user_provisioner_host: str = "127.0.0.1"
    user_provisioner_port: int = Field(default=8082, ge=0, le=65535)
    pagerduty_from_email: str = "oncall-provisioner@example.com"
    pagerduty_default_role: PagerDutyRole = "user"
    pagerduty_budget_share: float = Field(default=1.0, gt=0, le=1)
    pagerduty_rate_limit_per_minute: int = Field(default=960, ge=2)
    pagerduty_timeout_seconds: float = Field(default=10.0, gt=0)
    provisioner_concurrency_per_account: int = Field(default=4, ge=1, le=32)
    provisioner_poll_seconds: float = Field(default=1.0, gt=0)
