from __future__ import annotations

import pytest

from oncall_pagerduty.routes import route_template


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/users", "/users"),
        ("/users/PABC123", "/users/{id}"),
        ("/users/me", "/users/me"),
        ("/schedules/preview", "/schedules/preview"),
        ("/schedules/PX1/overrides/Q2", "/schedules/{id}/overrides/{id}"),
        ("users/PABC123?x=1", "/users/{id}"),
    ],
)
def test_ids_are_replaced_by_placeholders(path: str, template: str) -> None:
    assert route_template(path) == template
