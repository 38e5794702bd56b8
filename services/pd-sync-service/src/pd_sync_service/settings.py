"""pd-sync-service settings, from the environment."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from oncall_platform.settings import ServiceSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///pd-sync-service.db"


class PdSyncSettings(ServiceSettings):
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("PD_SYNC_SERVICE_HOST"))
    port: int = Field(8081, validation_alias=AliasChoices("PD_SYNC_SERVICE_PORT"))
    reconcile_interval_seconds: float = 300.0
    # Schedules compared with PagerDuty per interval, oldest check first: 50 per 5 minutes is about 1%
    # of a key's 960 requests a minute, and 1,350 schedules are each read about every 2 hours.
    drift_checks_per_interval: int = Field(50, ge=1)
    debounce_ms: int = 50
    # How often the users the schedules use are compared with PagerDuty's (one GET per 100 users of an
    # account): a user deleted while on call is asked for again and back in its schedules within a minute.
    user_check_interval_seconds: float = Field(30.0, gt=0)

    def effective_database_url(self) -> str:
        return self.database_url or DEFAULT_DATABASE_URL
