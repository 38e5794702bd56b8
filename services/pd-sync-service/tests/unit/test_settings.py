"""pd-sync's shift retention settings: positive, and the retention longer than the inbox's window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from pd_sync_service.settings import PdSyncSettings


def settings(**overrides: Any) -> PdSyncSettings:
    return PdSyncSettings(environment="development", **overrides)


def test_shifts_are_kept_90_days_and_pruned_hourly_by_default() -> None:
    retention = settings().shift_retention()
    assert (retention.keep, retention.interval_seconds) == (timedelta(days=90), 3600.0)


@pytest.mark.parametrize("name", ["shift_retention_days", "shift_prune_interval_seconds"])
def test_a_retention_setting_must_be_positive(name: str) -> None:
    with pytest.raises(ValidationError, match="greater than 0"):
        settings(**{name: 0})


def test_the_retention_must_outlast_the_inbox_redelivery_window() -> None:
    with pytest.raises(ValidationError, match="must be longer than INBOX_REDELIVERY_WINDOW_DAYS"):
        settings(shift_retention_days=35)
    assert settings(shift_retention_days=8, inbox_redelivery_window_days=7).shift_retention_days == 8
