"""Property tests: every event survives encode -> decode unchanged."""

import string
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_contracts import (
    CredentialSealer,
    DriftRepair,
    Envelope,
    IntegrationConfigured,
    IntegrationRemoved,
    MemberAdded,
    MemberRemoved,
    PagerDutyAccount,
    PagerDutyUserMissing,
    PagerDutyUserProvisioned,
    Payload,
    RotationCreated,
    RotationDeleted,
    RotationUpdated,
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
    ShiftChanged,
    ShiftRequestAccepted,
    ShiftRequestCancelled,
    ShiftRequestDeclined,
    ShiftRequested,
    ShiftRequestExpired,
    ShiftRequestOutdated,
    UserProvisioningFailed,
    all_events,
    decode,
    encode,
    generate_key,
)
from oncall_contracts.values import CoverageWindow

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]
OFFSETS = [
    UTC,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-9)),
    ZoneInfo("Europe/Berlin"),
]

rotation_ids = st.uuids().map(str)
texts = st.text(min_size=1, max_size=40)
zones = st.sampled_from(ZONES)
# The addresses of r"[A-Za-z][A-Za-z0-9]{0,8}(\.[a-z0-9]{1,5})?@[a-z]{2,10}\.(com|io|de)", built from their
# parts: st.from_regex drew the same addresses at over twice the cost, most of this file's run.
emails = st.builds(
    "{}{}{}@{}.{}".format,
    st.sampled_from(string.ascii_letters),
    st.text(string.ascii_letters + string.digits, max_size=8),
    st.just("") | st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=5).map(".".__add__),
    st.text(string.ascii_lowercase, min_size=2, max_size=10),
    st.sampled_from(["com", "io", "de"]),
)
instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.sampled_from(OFFSETS)
)
revisions = st.integers(min_value=0, max_value=2**53)
accounts = st.builds(
    PagerDutyAccount,
    subdomain=st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
    region=st.sampled_from(["us", "eu"]),
)
windows = (
    st.tuples(st.times(), st.times())
    .filter(lambda pair: pair[0] != pair[1])
    .map(lambda pair: CoverageWindow(start=pair[0], end=pair[1]))
)
KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_-"
# PagerDuty keys are ~20 characters; the "u+" prefix keeps them from matching ordinary words by chance.
api_keys = st.text(alphabet=KEY_ALPHABET, min_size=18, max_size=40).map(lambda key: f"u+{key}")


@cache
def _sealer() -> CredentialSealer:
    return CredentialSealer({"k1": generate_key()}, active_key_id="k1")


@st.composite
def rotation_settings(draw: st.DrawFn) -> dict[str, Any]:
    period = draw(st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=28)))
    handoffs = draw(st.lists(st.timedeltas(min_value=timedelta(0), max_value=period), min_size=1, max_size=4))
    return {
        "rotation_id": draw(rotation_ids),
        "name": draw(texts),
        "time_zone": draw(zones),
        "period": period,
        "first_shift_start": draw(
            st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1))
        ),
        "handoffs": sorted({handoff for handoff in handoffs if handoff < period} or {timedelta(0)}),
        "coverage": draw(st.none() | windows),
        "backup": draw(st.booleans()),
        "horizon_days": draw(st.integers(min_value=1, max_value=3650)),
    }


lengths = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=60))


@st.composite
def shifts(draw: st.DrawFn) -> ShiftChanged:
    start = draw(instants)
    primary = draw(st.none() | emails)
    backup = draw(
        st.none() | emails.filter(lambda email: primary is None or email.lower() != primary.lower())
    )
    return ShiftChanged(
        rotation_id=draw(rotation_ids),
        shift_id=draw(texts),
        revision=draw(revisions),
        start=start,
        # Added to the instant, not the wall clock: in a zone, the second 02:30 of a fall-back night plus
        # a minute of wall time is an hour earlier (see the fall-back test below).
        end=(start.astimezone(UTC) + draw(lengths)).astimezone(start.tzinfo),
        primary=primary,
        backup=backup,
        cancelled=draw(st.booleans()),
        conflict=draw(st.booleans()),
    )


@st.composite
def integrations(draw: st.DrawFn) -> IntegrationConfigured:
    rotation_id, other = draw(st.lists(rotation_ids, min_size=2, max_size=2, unique=True))
    mode = draw(st.sampled_from(["own", "merge"]))
    account = draw(accounts)
    return IntegrationConfigured(
        rotation_id=rotation_id,
        rotation_name=draw(texts),
        mode=mode,
        target_rotation_id=rotation_id if mode == "own" else other,
        schedule_name=draw(texts),
        account=account,
        credential=_sealer().seal(draw(api_keys), account.key),
        time_zone=draw(zones),
        schedule_time_zone=draw(zones),
        coverage=draw(st.none() | windows),
        backup=draw(st.booleans()),
        revision=draw(revisions),
    )


@st.composite
def shift_requests(draw: st.DrawFn) -> dict[str, Any]:
    asker, asked = draw(st.lists(emails, min_size=2, max_size=2, unique_by=str.lower))
    kind = draw(st.sampled_from(["hand_over", "swap"]))
    return {
        "rotation_id": draw(rotation_ids),
        "request_id": draw(rotation_ids),
        "kind": kind,
        "shift_id": draw(texts),
        "other_shift_id": draw(texts) if kind == "swap" else None,
        "role": draw(st.sampled_from(["primary", "backup"])),
        "requested_by": asker,
        "requested_of": asked,
        "expires_at": draw(instants),
    }


def _decided(fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "decided_by": fields["requested_of"], "forced": False}


PAYLOADS: dict[type[Payload], st.SearchStrategy[Any]] = {
    RotationCreated: rotation_settings().map(lambda fields: RotationCreated(**fields)),
    RotationUpdated: rotation_settings().map(lambda fields: RotationUpdated(**fields)),
    RotationDeleted: st.builds(RotationDeleted, rotation_id=rotation_ids),
    MemberAdded: st.builds(MemberAdded, rotation_id=rotation_ids, email=emails, name=texts, time_zone=zones),
    MemberRemoved: st.builds(MemberRemoved, rotation_id=rotation_ids, email=emails),
    ShiftChanged: shifts(),
    IntegrationConfigured: integrations(),
    IntegrationRemoved: st.builds(IntegrationRemoved, rotation_id=rotation_ids, revision=revisions),
    ShiftRequested: shift_requests().map(lambda fields: ShiftRequested(**fields)),
    ShiftRequestAccepted: shift_requests().map(lambda fields: ShiftRequestAccepted(**_decided(fields))),
    ShiftRequestDeclined: shift_requests().map(lambda fields: ShiftRequestDeclined(**_decided(fields))),
    ShiftRequestCancelled: shift_requests().map(lambda fields: ShiftRequestCancelled(**_decided(fields))),
    ShiftRequestExpired: shift_requests().map(lambda fields: ShiftRequestExpired(**fields)),
    ShiftRequestOutdated: st.builds(
        lambda fields, reason, changed_by: ShiftRequestOutdated(
            **fields, reason=reason, changed_by=changed_by
        ),
        shift_requests(),
        st.sampled_from(["member_left", "shift_changed_hands", "shift_removed"]),
        st.none() | emails,
    ),
    PagerDutyUserProvisioned: st.builds(
        PagerDutyUserProvisioned, account=accounts, email=emails, user_id=texts, name=texts
    ),
    PagerDutyUserMissing: st.builds(
        PagerDutyUserMissing, account=accounts, email=emails, user_id=texts, reason=texts
    ),
    UserProvisioningFailed: st.builds(
        UserProvisioningFailed, account=accounts, email=emails, reason=texts, retryable=st.booleans()
    ),
    ScheduleSynced: st.builds(
        ScheduleSynced,
        rotation_id=rotation_ids,
        role=st.sampled_from(["primary", "backup"]),
        schedule_id=texts,
        schedule_url=texts,
        layer_ids=st.lists(texts, max_size=4),
        synced_until=instants,
        requests_spent=st.integers(min_value=0, max_value=10_000),
        drift_repaired=st.booleans(),
        repairs=st.lists(st.sampled_from(list(get_args(DriftRepair))), max_size=3),
    ),
    ScheduleSyncFailed: st.builds(
        ScheduleSyncFailed,
        rotation_id=rotation_ids,
        role=st.sampled_from(["primary", "backup"]),
        reason=texts,
        retryable=st.booleans(),
    ),
    ScheduleSyncWaiting: st.builds(
        ScheduleSyncWaiting,
        rotation_id=rotation_ids,
        role=st.sampled_from(["primary", "backup"]),
        waiting_for=st.lists(emails, min_size=1, max_size=4),
    ),
}


@cache  # one strategy per payload type: building it anew for every example cost most of the run
def envelopes(payloads: st.SearchStrategy[Any]) -> st.SearchStrategy[Envelope[Any]]:
    return st.builds(
        Envelope.new,
        payloads,
        producer=texts,
        correlation_id=st.none() | st.uuids(),
        causation_id=st.none() | st.uuids(),
        occurred_at=instants,
    )


def test_every_registered_event_has_a_strategy() -> None:
    assert set(all_events()) == set(PAYLOADS)


@pytest.mark.parametrize("model", list(PAYLOADS), ids=lambda model: model.EVENT_TYPE)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_encode_then_decode_gives_the_same_event(model: type[Payload], data: st.DataObject) -> None:
    envelope = data.draw(envelopes(PAYLOADS[model]))

    encoded = encode(envelope)
    decoded = decode(encoded.value, encoded.headers)

    assert decoded == envelope
    assert type(decoded.payload) is model
    assert encoded.key == envelope.subject.encode()
    assert encode(decoded).value == encoded.value


def test_a_shift_starting_in_the_repeated_hour_of_a_fall_back_night_round_trips() -> None:
    # Found by `make test-deep` (the strategy then added the length to the wall clock): 02:30 after the
    # clocks went back (fold=1) must keep its offset through encoding, and its length with it.
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=berlin)
    shift = ShiftChanged(
        rotation_id="3b241101-e2bb-4255-8caf-4136c566a962",
        shift_id="night",
        revision=1,
        start=start,
        end=(start.astimezone(UTC) + timedelta(minutes=20)).astimezone(berlin),
        primary=None,
        backup=None,
        cancelled=False,
        conflict=False,
    )
    envelope = Envelope.new(shift, producer="test", occurred_at=start)

    encoded = encode(envelope)
    decoded = decode(encoded.value, encoded.headers)

    assert decoded == envelope
    start_utc, end_utc = decoded.payload.start.astimezone(UTC), decoded.payload.end.astimezone(UTC)
    assert start_utc == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert end_utc - start_utc == timedelta(minutes=20)


@settings(max_examples=60, deadline=None)
@given(api_key=api_keys, account=accounts)
def test_the_api_key_never_shows_in_the_encoded_event_or_its_repr(
    api_key: str, account: PagerDutyAccount
) -> None:
    credential = _sealer().seal(api_key, account.key)
    integration = IntegrationConfigured(
        rotation_id="6f1c2b9e-3d4a-4c5b-8e7f-9a0b1c2d3e4f",
        rotation_name="Platform",
        mode="own",
        target_rotation_id="6f1c2b9e-3d4a-4c5b-8e7f-9a0b1c2d3e4f",
        schedule_name="Platform",
        account=account,
        credential=credential,
        time_zone="UTC",
        schedule_time_zone="UTC",
        revision=1,
    )
    envelope = Envelope.new(integration, producer="rotation-service")

    encoded = encode(envelope)

    assert api_key.encode() not in encoded.value
    assert api_key not in repr(envelope) + str(envelope) + repr(encoded)
    assert _sealer().open(decode(encoded.value).payload.credential, account.key) == api_key
