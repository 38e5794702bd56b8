from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from oncall_web.views.rotation_form import FormInvalid, RotationFields


def form(**values: str) -> FormData:
    base = {
        "name": "Payments",
        "time_zone": "Europe/Berlin",
        "first_shift_start": "2026-11-30 09:00",
        "period_days": "7",
        "handoffs": "0, 84",
        "horizon_days": "42",
    }
    return FormData({**base, **values})


def test_the_form_becomes_the_api_body() -> None:
    body = RotationFields.of_form(form(coverage_start="08:00", coverage_end="20:00", backup="on")).body()
    assert body == {
        "name": "Payments",
        "time_zone": "Europe/Berlin",
        "first_shift_start": "2026-11-30T09:00",
        "period": "PT604800S",
        "handoffs": ["PT0S", "PT302400S"],
        "coverage": {"start": "08:00", "end": "20:00"},
        "backup": True,
        "horizon_days": 42,
    }


def test_a_rotation_shows_in_the_form_as_it_was_entered() -> None:
    rotation = {
        "name": "Payments",
        "time_zone": "Europe/Berlin",
        "first_shift_start": "2026-11-30T09:00:00",
        "period": "P7D",
        "handoffs": ["PT0S", "P3DT12H"],
        "coverage": None,
        "backup": False,
        "horizon_days": 182,
    }
    fields = RotationFields.of(rotation)
    assert (fields.period_days, fields.handoffs, fields.first_shift_start) == (
        "7",
        "0, 84",
        "2026-11-30 09:00",
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"period_days": "a week"}, "period"),
        ({"handoffs": "0, soon"}, "handoffs"),
        ({"coverage_start": "08:00"}, "coverage"),
        ({"horizon_days": "0"}, "horizon_days"),
    ],
)
def test_what_is_not_a_number_or_time_is_named_by_field(values: dict[str, str], field: str) -> None:
    with pytest.raises(FormInvalid) as invalid:
        RotationFields.of_form(form(**values)).body()
    assert field in invalid.value.errors
