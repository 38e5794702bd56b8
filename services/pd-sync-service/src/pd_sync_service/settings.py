"""pd-sync-service settings, from the environment."""

from __future__ import annotations

from datetime import timedelta

from pydantic import AliasChoices, Field, model_validator

from oncall_platform.settings import ServiceSettings
from pd_sync_service.adapters.shift_retention import ShiftRetention

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
    # Shifts that ended longer ago are deleted, every interval (adapters/shift_retention.py): the sync
    # reads only shifts ending after now. Longer than INBOX_REDELIVERY_WINDOW_DAYS, so that a replay of
    # the rotation topic folds every revision of a pruned shift again, not just its early ones.
    shift_retention_days: float = Field(90.0, gt=0)
    shift_prune_interval_seconds: float = Field(3600.0, gt=0)

    @model_validator(mode="after")
    def _retention_outlasts_the_inbox(self) -> PdSyncSettings:
        if self.shift_retention_days <= self.inbox_redelivery_window_days:
            raise ValueError(
                f"SHIFT_RETENTION_DAYS ({self.shift_retention_days:g}) must be longer than "
                f"INBOX_REDELIVERY_WINDOW_DAYS ({self.inbox_redelivery_window_days:g}): a replay of the "
                "rotation topic would fold early revisions of pruned shifts and skip their later ones"
            )
        return self

    def shift_retention(self) -> ShiftRetention:
        return ShiftRetention(
            keep=timedelta(days=self.shift_retention_days),
            interval_seconds=self.shift_prune_interval_seconds,
        )

    def effective_database_url(self) -> str:
        return self.database_url or DEFAULT_DATABASE_URL
