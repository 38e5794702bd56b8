"""Shifts change hands only with consent, through the API on PostgreSQL and Kafka (issue 15, point 3):
a holder hands over only their own role, a hand-over or swap is a request the person asked accepts or
declines (an administrator may force it), requests expire, both people see them, and each step is an
event; the shifts (and so PagerDuty) change only when a request is accepted."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import httpx
import pytest

from oncall_testing.clock import FakeClock
from rotation_service.bootstrap import Container

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"
ANN, BOB, CAT = "ann@example.com", "bob@example.com", "cat@example.com"


async def _rotation(client: httpx.AsyncClient, api: Any) -> str:
    rotation = await api.create_rotation(OWNER, period="P1D", handoffs=["PT0S"], backup=True, horizon_days=21)
    for email in (ANN, BOB, CAT):
        await api.add_member(rotation["id"], OWNER, email)
    return str(rotation["id"])


async def _shifts(client: httpx.AsyncClient, api: Any, rid: str) -> dict[str, dict[str, Any]]:
    listed = (await client.get(f"/v1/rotations/{rid}/shifts", headers=api.auth(OWNER))).json()
    return {shift["id"]: shift for shift in listed[2:]}  # the first ones start too soon


async def _events(relayed: Any) -> list[Any]:
    return [event.payload for event in await relayed()]


def _ask(client: httpx.AsyncClient, api: Any, rid: str, actor: str, **body: Any) -> Any:
    return client.post(f"/v1/rotations/{rid}/shift-requests", json=body, headers=api.auth(actor))


def _step(client: httpx.AsyncClient, api: Any, rid: str, request_id: str, step: str, actor: str) -> Any:
    return client.post(f"/v1/rotations/{rid}/shift-requests/{request_id}/{step}", headers=api.auth(actor))


async def test_the_backup_of_a_shift_cannot_reassign_its_primary(client: httpx.AsyncClient, api: Any) -> None:
    """What was tried: the backup of a shift reassigned its primary to a third member: 200."""
    rid = await _rotation(client, api)
    shift = next(iter((await _shifts(client, api, rid)).values()))
    third = ({ANN, BOB, CAT} - {shift["primary"], shift["backup"]}).pop()

    direct = await client.patch(
        f"/v1/rotations/{rid}/shifts/{shift['id']}",
        json={"primary": third},
        headers=api.auth(shift["backup"]),
    )
    asked = await _ask(client, api, rid, shift["backup"], kind="hand_over", shift_id=shift["id"], to=third)

    assert direct.status_code == 403
    assert asked.status_code == 403
    assert "own role" in asked.json()["detail"]
    assert (await _shifts(client, api, rid))[shift["id"]] == shift


async def test_a_hand_over_waits_for_the_person_asked_and_each_step_is_an_event(
    client: httpx.AsyncClient,
    api: Any,
    relayed: Any,
) -> None:
    rid = await _rotation(client, api)
    shift = next(
        s for s in (await _shifts(client, api, rid)).values() if s["backup"] != CAT and s["primary"] != CAT
    )
    holder = shift["primary"]
    await _events(relayed)
    seen = len(await _events(relayed))

    asked = await _ask(client, api, rid, holder, kind="hand_over", shift_id=shift["id"], to=CAT)

    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["state"], request["requested_by"], request["requested_of"]) == ("pending", holder, CAT)
    assert (await _shifts(client, api, rid))[shift["id"]]["primary"] == holder  # nothing changed yet
    for person in (holder, CAT):
        listed = (await client.get(f"/v1/rotations/{rid}/shift-requests", headers=api.auth(person))).json()
        assert [r["id"] for r in listed] == [request["id"]]
    bystander = ({ANN, BOB} - {holder}).pop()
    assert (await client.get(f"/v1/rotations/{rid}/shift-requests", headers=api.auth(bystander))).json() == []
    assert (await _step(client, api, rid, request["id"], "accept", bystander)).status_code == 403
    assert (await _step(client, api, rid, request["id"], "accept", holder)).status_code == 403

    accepted = await _step(client, api, rid, request["id"], "accept", CAT)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    after = (await _shifts(client, api, rid))[shift["id"]]
    assert (after["primary"], after["backup"], after["pinned"]) == (CAT, shift["backup"], True)
    assert (await _step(client, api, rid, request["id"], "accept", CAT)).status_code == 409
    events = (await _events(relayed))[seen:]
    steps = [(type(e).__name__, getattr(e, "primary", None)) for e in events if "Shift" in type(e).__name__]
    assert steps[:2] == [("ShiftRequested", None), ("ShiftRequestAccepted", None)]
    assert ("ShiftChanged", CAT) in steps[2:]  # PagerDuty follows the accepted change, and only that


async def test_a_swap_is_accepted_or_declined_by_the_other_holder(
    client: httpx.AsyncClient, api: Any
) -> None:
    rid = await _rotation(client, api)
    shifts = await _shifts(client, api, rid)
    mine, theirs = next(
        (a, b)
        for a, b in itertools.permutations(shifts.values(), 2)
        if a["primary"] == ANN and b["primary"] == BOB and a["backup"] != BOB and b["backup"] != ANN
    )
    body = {"kind": "swap", "shift_id": mine["id"], "with_shift_id": theirs["id"]}

    declined = (await _ask(client, api, rid, ANN, **body)).json()
    assert declined["requested_of"] == BOB
    assert (await _step(client, api, rid, declined["id"], "decline", BOB)).json()["state"] == "declined"
    assert await _shifts(client, api, rid) == shifts
    accepted = (await _ask(client, api, rid, ANN, **body)).json()
    assert (await _step(client, api, rid, accepted["id"], "accept", BOB)).status_code == 200

    after = await _shifts(client, api, rid)
    assert (after[mine["id"]]["primary"], after[theirs["id"]]["primary"]) == (BOB, ANN)
    assert (after[mine["id"]]["backup"], after[theirs["id"]]["backup"]) == (mine["backup"], theirs["backup"])


async def test_an_admin_may_force_a_request_and_the_asker_may_withdraw_one(
    client: httpx.AsyncClient, api: Any
) -> None:
    rid = await _rotation(client, api)
    shift = next(
        s for s in (await _shifts(client, api, rid)).values() if CAT not in (s["primary"], s["backup"])
    )
    body = {"kind": "hand_over", "shift_id": shift["id"], "to": CAT}

    withdrawn = (await _ask(client, api, rid, shift["primary"], **body)).json()
    assert (await _step(client, api, rid, withdrawn["id"], "cancel", CAT)).status_code == 403
    assert (await _step(client, api, rid, withdrawn["id"], "cancel", shift["primary"])).json()[
        "state"
    ] == "cancelled"
    forced = (await _ask(client, api, rid, shift["primary"], **body)).json()
    admin_sees = (await client.get(f"/v1/rotations/{rid}/shift-requests", headers=api.auth(OWNER))).json()
    assert [r["id"] for r in admin_sees] == [forced["id"]]

    decided = (await _step(client, api, rid, forced["id"], "accept", OWNER)).json()

    assert (decided["state"], decided["decided_by"], decided["forced"]) == ("accepted", OWNER, True)
    assert (await _shifts(client, api, rid))[shift["id"]]["primary"] == CAT


async def test_an_unanswered_request_expires(
    client: httpx.AsyncClient,
    api: Any,
    clock: FakeClock,
    container: Container,
    relayed: Any,
) -> None:
    rid = await _rotation(client, api)
    shift = next(
        s for s in (await _shifts(client, api, rid)).values() if CAT not in (s["primary"], s["backup"])
    )
    request = (
        await _ask(client, api, rid, shift["primary"], kind="hand_over", shift_id=shift["id"], to=CAT)
    ).json()

    clock.advance(timedelta(days=7))

    assert (await client.get(f"/v1/rotations/{rid}/shift-requests", headers=api.auth(CAT))).json() == []
    late = await _step(client, api, rid, request["id"], "accept", CAT)
    assert late.status_code == 409
    assert "expired" in late.json()["detail"]
    assert await container.shift_requests.expire_due() == 1
    events = await _events(relayed)
    expired = [e for e in events if type(e).__name__ == "ShiftRequestExpired"]
    assert [e.request_id for e in expired] == [request["id"]]
    assert (await _shifts(client, api, rid))[shift["id"]]["primary"] == shift["primary"]


async def test_bad_requests_name_the_field(client: httpx.AsyncClient, api: Any) -> None:
    rid = await _rotation(client, api)
    shift = next(iter((await _shifts(client, api, rid)).values()))

    unknown_kind = await _ask(client, api, rid, shift["primary"], kind="steal", shift_id=shift["id"])
    to_self = await _ask(
        client, api, rid, shift["primary"], kind="hand_over", shift_id=shift["id"], to=shift["primary"]
    )
    stranger = await _ask(
        client, api, rid, shift["primary"], kind="hand_over", shift_id=shift["id"], to="x@example.com"
    )
    no_shift = await _ask(client, api, rid, shift["primary"], kind="hand_over", shift_id="nope", to=CAT)

    assert unknown_kind.status_code == 422
    assert (to_self.status_code, to_self.json()["detail"][0]["loc"][-1]) == (422, "to")
    assert stranger.status_code == 422
    assert no_shift.status_code == 404


async def test_a_request_whose_shift_the_admin_reassigns_is_cancelled_with_an_event(
    client: httpx.AsyncClient,
    api: Any,
    relayed: Any,
) -> None:
    rid = await _rotation(client, api)
    shift = next(
        s for s in (await _shifts(client, api, rid)).values() if CAT not in (s["primary"], s["backup"])
    )
    asker = shift["primary"]
    request = (await _ask(client, api, rid, asker, kind="hand_over", shift_id=shift["id"], to=CAT)).json()

    reassigned = await client.patch(
        f"/v1/rotations/{rid}/shifts/{shift['id']}",
        json={"primary": shift["backup"], "backup": asker},
        headers=api.auth(OWNER),
    )

    assert reassigned.status_code == 200, reassigned.text
    assert (await client.get(f"/v1/rotations/{rid}/shift-requests", headers=api.auth(CAT))).json() == []
    late = await _step(client, api, rid, request["id"], "accept", CAT)
    assert late.status_code == 409
    assert "cancelled" in late.json()["detail"]
    events = await _events(relayed)
    [outdated] = [e for e in events if type(e).__name__ == "ShiftRequestOutdated"]
    assert (outdated.request_id, outdated.reason, outdated.changed_by) == (
        request["id"],
        "shift_changed_hands",
        OWNER,
    )


async def test_me_lists_the_callers_open_requests_across_rotations(
    client: httpx.AsyncClient, api: Any
) -> None:
    first, second = await _rotation(client, api), await _rotation(client, api)
    made = None
    for rid in (first, second):
        shift = next(
            s for s in (await _shifts(client, api, rid)).values() if CAT not in (s["primary"], s["backup"])
        )
        response = await _ask(
            client, api, rid, shift["primary"], kind="hand_over", shift_id=shift["id"], to=CAT
        )
        assert response.status_code == 201, response.text
        made = made or response.json()

    listed = (await client.get("/v1/me/shift-requests", headers=api.auth(CAT))).json()

    ours = [(r["rotation_id"], r["requested_of"]) for r in listed if r["rotation_id"] in (first, second)]
    assert sorted(ours) == sorted([(first, CAT), (second, CAT)])
    assert made is not None
    asker = made["requested_by"]
    mine = (await client.get("/v1/me/shift-requests", headers=api.auth(asker))).json()
    assert made["id"] in [r["id"] for r in mine]
    assert (await client.get("/v1/me/shift-requests", headers=api.auth("nobody@example.com"))).json() == []
    assert (await client.get("/v1/me/shift-requests")).status_code == 401
