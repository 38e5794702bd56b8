"""The update plan: no write when PagerDuty already shows the timeline; otherwise every live layer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from pd_sync_shifts import local_boundaries, shifts

from pd_sync_service.domain.model import Layer, RotationSource
from pd_sync_service.domain.plan import plan_layers, shows
from pd_sync_service.domain.schedule import expected_entries, schedule_layers

ZONE = "Europe/London"
NOW = datetime(2026, 3, 20, 10, 7, tzinfo=UTC)
UNTIL = NOW + timedelta(days=60)


def _source(users, rotation_id="r1") -> RotationSource:
    boundaries = local_boundaries(ZONE, datetime(2026, 3, 2), timedelta(days=7), [timedelta(hours=9)], 14)
    return RotationSource(
        rotation_id, f"Rotation {rotation_id}", ZONE, None, tuple(shifts(boundaries, users))
    )


def _written(sources, now=NOW) -> list[Layer]:
    layers = schedule_layers(sources, ZONE, now, UNTIL)
    return [replace(layer, id=f"L{index}") for index, layer in enumerate(layers)]


def test_pagerduty_holding_what_we_wrote_needs_no_write():
    sources = [_source(["PA", "PB", "PC"])]
    assert shows(_written(sources), expected_entries(sources, NOW, UNTIL), ZONE, NOW, UNTIL)


def test_time_passing_alone_needs_no_write():
    sources = [_source(["PA", "PB", "PC"])]
    later = NOW + timedelta(days=9, minutes=3)
    assert shows(_written(sources), expected_entries(sources, later, UNTIL), ZONE, later, UNTIL)


def test_a_swap_is_a_difference_and_reuses_the_layer_ids():
    held = _written([_source(["PA", "PB", "PC"])])
    swapped = [_source(["PA", "PC", "PB"])]
    assert not shows(held, expected_entries(swapped, NOW, UNTIL), ZONE, NOW, UNTIL)
    planned = plan_layers(held, schedule_layers(swapped, ZONE, NOW, UNTIL), NOW)
    assert [layer.id for layer in planned] == [layer.id for layer in held if layer.is_live(NOW)]
    assert shows(planned, expected_entries(swapped, NOW, UNTIL), ZONE, NOW, UNTIL)


def test_a_hand_edit_is_drift():
    sources = [_source(["PA", "PB", "PC"])]
    held = _written(sources)
    edited = [replace(held[0], user_ids=tuple(reversed(held[0].user_ids))), *held[1:]]
    assert not shows(edited, expected_entries(sources, NOW, UNTIL), ZONE, NOW, UNTIL)


def test_layers_no_longer_wanted_are_ended_not_dropped():
    kept, removed = _source(["PA", "PB"], "r1"), _source(["PC", "PD"], "r2")
    held = _written([kept, removed])
    planned = plan_layers(held, schedule_layers([kept], ZONE, NOW, UNTIL), NOW)
    ended = [layer for layer in planned if layer.owner == "r2"]
    assert ended
    assert len(planned) == len(held)
    assert all(layer.end == NOW and layer.start < layer.end and layer.id for layer in ended)
    assert shows(planned, expected_entries([kept], NOW, UNTIL), ZONE, NOW, UNTIL)


def test_layers_of_unknown_owner_are_ended_and_new_ones_appended_without_id():
    stranger = Layer("by hand", NOW, None, NOW, 86_400, ("PX",), id="LX")
    sources = [_source(["PA", "PB"])]
    planned = plan_layers([stranger], schedule_layers(sources, ZONE, NOW, UNTIL), NOW)
    assert planned[0].id == "LX"
    assert planned[0].end == NOW
    assert all(layer.id is None for layer in planned[1:])
    assert len(planned) > 1


def test_already_ended_layers_are_not_sent():
    ended = Layer(
        "old", NOW - timedelta(days=3), NOW - timedelta(days=1), NOW, 86_400, ("PX",), id="LOLD", owner="r1"
    )
    planned = plan_layers([ended], [], NOW)
    assert planned == []
