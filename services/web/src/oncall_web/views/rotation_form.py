"""The create/edit rotation form: its fields as the page shows them, and the API body they make."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any

from starlette.datastructures import FormData

from oncall_web.presenters import duration, week_start
from oncall_web.views.common import text

FIELDS = (
    "name",
    "time_zone",
    "first_shift_start",
    "period",
    "handoffs",
    "coverage",
    "backup",
    "horizon_days",
)


class FormInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class RotationFields:
    name: str = ""
    time_zone: str = "Europe/Berlin"
    first_shift_start: str = ""  # "YYYY-MM-DD HH:MM" in time_zone
    period_days: str = "7"
    handoffs: str = "0"  # hours after the start of each period, comma-separated
    coverage_start: str = ""
    coverage_end: str = ""
    backup: bool = False
    horizon_days: str = "182"

    @classmethod
    def blank(cls, now: datetime) -> RotationFields:
        start = week_start(now, cls.time_zone)
        return cls(first_shift_start=start.strftime("%Y-%m-%d %H:%M"))

    @classmethod
    def of(cls, rotation: dict[str, Any]) -> RotationFields:
        coverage = rotation.get("coverage") or {}
        hours = [duration(h).total_seconds() / 3600 for h in rotation["handoffs"]]
        return cls(
            name=rotation["name"],
            time_zone=rotation["time_zone"],
            first_shift_start=rotation["first_shift_start"][:16].replace("T", " "),
            period_days=_number(duration(rotation["period"]).total_seconds() / 86400),
            handoffs=", ".join(_number(h) for h in hours),
            coverage_start=(coverage.get("start") or "")[:5],
            coverage_end=(coverage.get("end") or "")[:5],
            backup=bool(rotation["backup"]),
            horizon_days=str(rotation["horizon_days"]),
        )

    @classmethod
    def of_form(cls, form: FormData) -> RotationFields:
        return cls(
            name=text(form, "name"),
            time_zone=text(form, "time_zone"),
            first_shift_start=text(form, "first_shift_start"),
            period_days=text(form, "period_days"),
            handoffs=text(form, "handoffs") or "0",
            coverage_start=text(form, "coverage_start"),
            coverage_end=text(form, "coverage_end"),
            backup=text(form, "backup") == "on",
            horizon_days=text(form, "horizon_days"),
        )

    def values(self) -> dict[str, Any]:
        return asdict(self)

    def body(self) -> dict[str, Any]:
        """The API body; FormInvalid names the fields that are not numbers or times at all."""
        errors: dict[str, str] = {}
        period = _positive(self.period_days, "period", errors, "a number of days, such as 7")
        horizon = _positive(self.horizon_days, "horizon_days", errors, "a number of days, such as 182")
        handoffs: list[str] = []
        for part in self.handoffs.split(","):
            try:
                handoffs.append(_iso(timedelta(hours=float(part.strip()))))
            except ValueError:
                errors["handoffs"] = "hours after the period's start, comma-separated, such as 0, 84"
        if bool(self.coverage_start) != bool(self.coverage_end):
            errors["coverage"] = "give both the start and the end of the daily window, or neither"
        elif self.coverage_start and not all(_is_time(t) for t in (self.coverage_start, self.coverage_end)):
            errors["coverage"] = "24-hour times such as 08:00 and 20:00"
        if errors:
            raise FormInvalid(errors)
        coverage = {"start": self.coverage_start, "end": self.coverage_end} if self.coverage_start else None
        return {
            "name": self.name,
            "time_zone": self.time_zone,
            "first_shift_start": self.first_shift_start.replace(" ", "T", 1),
            "period": _iso(timedelta(days=period)),
            "handoffs": handoffs,
            "coverage": coverage,
            "backup": self.backup,
            "horizon_days": int(horizon),
        }


def _is_time(value: str) -> bool:
    try:
        time.fromisoformat(value)
    except ValueError:
        return False
    return True


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _positive(value: str, field: str, errors: dict[str, str], hint: str) -> float:
    try:
        number = float(value)
    except ValueError:
        errors[field] = hint
        return 0
    if number <= 0:
        errors[field] = f"must be more than 0: {hint}"
    return number


def _iso(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"PT{seconds}S"
