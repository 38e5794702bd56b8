"""Configuring a rotation's PagerDuty sync on in-memory adapters: sealing, merging, following, status."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from rotation_fakes import FakeDatabase, FakePagerDutyKeys

from oncall_contracts.credentials import CredentialSealer, generate_key
from oncall_contracts.envelope import Envelope
from oncall_contracts.pagerduty.v1 import (
    PagerDutyUserProvisioned,
    ScheduleSynced,
    ScheduleSyncFailed,
    ScheduleSyncWaiting,
    UserProvisioningFailed,
)
from oncall_contracts.rotation import v1
from oncall_contracts.values import PagerDutyAccount
from oncall_platform.consumer import committing
from rotation_service.domain.integration import AwaitedPerson
from rotation_service.domain.model import CoverageWindow, RotationSpec
from rotation_service.service_layer.errors import Forbidden, InvalidInput, KeyRefused
from rotation_service.service_layer.integrations import OwnSchedule
from rotation_service.service_layer.pagerduty import PagerDutyService
from rotation_service.service_layer.rotations import RotationService
from rotation_service.service_layer.sync_status import SyncStatusRecorder

NOW = datetime(2030, 1, 7, 9, tzinfo=UTC)
ADMIN = "admin@example.com"
API_KEY = "u+very-secret-key"
SEALER_KEY = generate_key()
SEALER = CredentialSealer({"k1": SEALER_KEY}, "k1")


def spec(coverage: CoverageWindow | None = None) -> RotationSpec:
    return RotationSpec(
        time_zone="Europe/Paris",
        period=timedelta(weeks=1),
        first_shift_start=datetime(2030, 1, 7, 9),
        handoffs=(timedelta(0),),
        coverage=coverage,
        horizon_days=28,
    )


DAY, NIGHT = spec(CoverageWindow(time(8), time(20))), spec(CoverageWindow(time(20), time(8)))


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def rotations(db: FakeDatabase) -> RotationService:
    return RotationService(db.unit_of_work, lambda: NOW)


@pytest.fixture
def pagerduty(db: FakeDatabase) -> PagerDutyService:
    return PagerDutyService(db.unit_of_work, lambda: NOW, SEALER, FakePagerDutyKeys())


def announced(db: FakeDatabase) -> list[v1.IntegrationConfigured]:
    return [p for p in db.published() if isinstance(p, v1.IntegrationConfigured)]


async def test_configure_own_keeps_and_announces_only_the_sealed_key(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    rotation = await rotations.create(ADMIN, "Payments", DAY)

    view = await pagerduty.configure_own(rotation.id, ADMIN, OwnSchedule("acme", API_KEY, "eu"))

    kept = db.committed.integrations[rotation.id]
    assert (kept.mode, kept.target_rotation_id, kept.schedule_name) == ("own", rotation.id, "Payments")
    assert kept.account.key == view.integration.account.key
    assert SEALER.open(kept.credential, kept.account.key) == API_KEY
    [event] = announced(db)
    assert (event.revision, event.mode, event.credential) == (1, "own", kept.credential)
    assert API_KEY not in repr(db.committed)


async def test_only_an_admin_may_configure(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    rotation = await rotations.create(ADMIN, "Payments", DAY)
    with pytest.raises(Forbidden):
        await pagerduty.configure_own(rotation.id, "someone@example.com", OwnSchedule("acme", API_KEY, "us"))
    assert db.committed.integrations == {}
    assert announced(db) == []


async def test_a_key_pagerduty_refuses_is_neither_kept_nor_announced(
    db: FakeDatabase, rotations: RotationService
) -> None:
    refusal = KeyRefused("write", "read-only")
    keys = FakePagerDutyKeys({"u+read-only": refusal})
    pagerduty = PagerDutyService(db.unit_of_work, lambda: NOW, SEALER, keys)
    rotation = await rotations.create(ADMIN, "Payments", DAY)
    with pytest.raises(KeyRefused) as refused:
        await pagerduty.configure_own(rotation.id, ADMIN, OwnSchedule("acme", "u+read-only", "eu"))
    assert refused.value.check == "write"
    assert keys.checked == [("eu:acme", "u+read-only")]
    assert db.committed.integrations == {}
    assert announced(db) == []


async def test_only_an_admin_gets_a_key_checked(db: FakeDatabase, rotations: RotationService) -> None:
    keys = FakePagerDutyKeys()
    pagerduty = PagerDutyService(db.unit_of_work, lambda: NOW, SEALER, keys)
    rotation = await rotations.create(ADMIN, "Payments", DAY)
    with pytest.raises(Forbidden):
        await pagerduty.configure_own(rotation.id, "someone@example.com", OwnSchedule("acme", API_KEY, "us"))
    assert keys.checked == [], "no oracle for other people's keys"


async def test_a_merged_rotation_writes_into_the_target_schedule_with_its_key(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    owner, night = await rotations.create(ADMIN, "Day", DAY), await rotations.create(ADMIN, "Night", NIGHT)
    own = (await pagerduty.configure_own(owner.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))).integration

    merged = (await pagerduty.configure_merge(night.id, ADMIN, owner.id)).integration

    assert (merged.mode, merged.target_rotation_id) == ("merge", owner.id)
    assert (merged.schedule_name, merged.account, merged.credential) == (
        own.schedule_name,
        own.account,
        own.credential,
    )
    assert announced(db)[-1].rotation_id == night.id
    assert [r.id for r in await pagerduty.merge_candidates(night.id)] == [owner.id]


async def test_resealing_moves_every_key_to_the_newest_credential_key_and_announces_it(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    owner, night = await rotations.create(ADMIN, "Day", DAY), await rotations.create(ADMIN, "Night", NIGHT)
    await pagerduty.configure_own(owner.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))
    await pagerduty.configure_merge(night.id, ADMIN, owner.id)
    newest = generate_key()
    rotated = CredentialSealer({"k2": newest, "k1": SEALER_KEY}, "k2")  # k2 added in front of k1
    resealing = PagerDutyService(db.unit_of_work, lambda: NOW, rotated, FakePagerDutyKeys())
    before = len(announced(db))

    report = await resealing.reseal_credentials()

    assert (report.resealed, report.unopenable) == ([owner.id], [])
    only_newest = CredentialSealer({"k2": newest}, "k2")  # k1 removed afterwards
    for rotation in (owner, night):
        kept = db.committed.integrations[rotation.id]
        assert kept.credential.key_id == "k2"
        assert only_newest.open(kept.credential, kept.account.key) == API_KEY
    again = announced(db)[before:]
    assert {event.rotation_id for event in again} == {owner.id, night.id}
    assert all(only_newest.open(event.credential, event.account.key) == API_KEY for event in again)
    assert (await resealing.reseal_credentials()).resealed == [], "nothing left under k1"


async def test_a_key_no_credential_key_opens_is_reported_not_lost(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    rotation = await rotations.create(ADMIN, "Day", DAY)
    await pagerduty.configure_own(rotation.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))
    without_k1 = CredentialSealer({"k2": generate_key()}, "k2")
    report = await PagerDutyService(
        db.unit_of_work, lambda: NOW, without_k1, FakePagerDutyKeys()
    ).reseal_credentials()
    assert report.unopenable == [rotation.id]
    assert db.committed.integrations[rotation.id].credential.key_id == "k1"


@pytest.mark.parametrize(
    ("setup", "field"),
    [
        ("itself", "merge_with"),
        ("unsynced target", "merge_with"),
        ("merged target", "merge_with"),
        ("overlapping coverage", "merge_with"),
        ("others merged into it", "mode"),
    ],
)
async def test_merging_is_refused_when_it_could_not_sync(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService, setup: str, field: str
) -> None:
    owner, night = await rotations.create(ADMIN, "Day", DAY), await rotations.create(ADMIN, "Night", NIGHT)
    late = await rotations.create(ADMIN, "Late", spec(CoverageWindow(time(0), time(6))))
    merging, target = night.id, owner.id
    if setup != "unsynced target":
        await pagerduty.configure_own(owner.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))
    if setup == "itself":
        target = night.id
    elif setup == "merged target":
        await pagerduty.configure_merge(night.id, ADMIN, owner.id)
        merging, target = late.id, night.id
    elif setup == "overlapping coverage":
        await pagerduty.configure_merge(late.id, ADMIN, owner.id)  # 00-06 lies inside the night's 20-08
    elif setup == "others merged into it":
        await pagerduty.configure_merge(night.id, ADMIN, owner.id)
        await pagerduty.configure_own(late.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))
        merging, target = owner.id, late.id
    before = dict(db.committed.integrations)

    with pytest.raises(InvalidInput) as refusal:
        await pagerduty.configure_merge(merging, ADMIN, target)

    assert refusal.value.field == field
    assert db.committed.integrations == before


async def test_merged_rotations_follow_when_the_target_changes_its_key(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    owner, night = await rotations.create(ADMIN, "Day", DAY), await rotations.create(ADMIN, "Night", NIGHT)
    await pagerduty.configure_own(owner.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))
    await pagerduty.configure_merge(night.id, ADMIN, owner.id)

    await pagerduty.configure_own(owner.id, ADMIN, OwnSchedule("globex", "u+other", "eu", "On call"))

    followed = db.committed.integrations[night.id]
    assert (followed.account.subdomain, followed.schedule_name) == ("globex", "On call")
    assert SEALER.open(followed.credential, followed.account.key) == "u+other"
    latest = {p.rotation_id: p for p in announced(db)}
    assert latest[night.id].account.subdomain == "globex"
    assert (latest[owner.id].revision, latest[night.id].revision) == (2, 2)


async def test_removing_the_integration_clears_its_status(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    rotation = await rotations.create(ADMIN, "Payments", DAY)
    await pagerduty.configure_own(rotation.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))
    await _record(SyncStatusRecorder(db.unit_of_work, lambda: NOW), _synced(rotation.id))

    await pagerduty.remove(rotation.id, ADMIN)

    assert db.committed.integrations == {}
    assert db.committed.statuses == {}
    removed = db.published()[-1]
    assert isinstance(removed, v1.IntegrationRemoved)
    assert removed.revision == 2


async def test_sync_results_are_recorded_and_a_failure_keeps_the_last_sync(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    # (once per event id: the consumer pipeline's inbox, see test_sync_status_consumer)
    recorder = SyncStatusRecorder(db.unit_of_work, lambda: NOW)
    rotation_id = (await rotations.create(ADMIN, "Payments", DAY)).id
    await pagerduty.configure_own(rotation_id, ADMIN, OwnSchedule("acme", API_KEY, "us"))

    await _record(recorder, _synced(rotation_id))
    failed = ScheduleSyncFailed(
        rotation_id=rotation_id, role="primary", reason="PagerDuty said no", retryable=True
    )
    await _record(recorder, Envelope.new(failed, producer="pd-sync-service", occurred_at=NOW))

    [status] = db.committed.statuses.values()
    assert (status.schedule_id, status.last_synced_at) == ("PSCHED1", NOW - timedelta(minutes=1))
    assert (status.last_error, status.last_error_retryable, status.last_error_at) == (
        "PagerDuty said no",
        True,
        NOW,
    )


async def test_results_for_a_deleted_rotation_leave_no_status(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    rotation = await rotations.create(ADMIN, "Payments", DAY)
    await pagerduty.configure_own(rotation.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))
    await rotations.delete(rotation.id, ADMIN)
    recorder = SyncStatusRecorder(db.unit_of_work, lambda: NOW)

    # pd-sync's last results were on their way while the rotation was deleted.
    await _record(recorder, _synced(rotation.id))
    waiting = ScheduleSyncWaiting(rotation_id=rotation.id, role="primary", waiting_for=["ada@example.com"])
    await _record(recorder, Envelope.new(waiting, producer="pd-sync-service", occurred_at=NOW))

    assert db.committed.statuses == {}


async def test_the_status_names_whom_the_sync_waits_for_with_the_provisioners_word(
    db: FakeDatabase, rotations: RotationService, pagerduty: PagerDutyService
) -> None:
    rotation = await rotations.create(ADMIN, "Payments", DAY)
    for email, name in [("ada@example.com", "Ada"), ("bob@example.com", "Bob")]:
        await rotations.add_member(rotation.id, ADMIN, email, name, "Europe/Paris")
    await pagerduty.configure_own(rotation.id, ADMIN, OwnSchedule("acme", API_KEY, "us"))
    recorder = SyncStatusRecorder(db.unit_of_work, lambda: NOW)
    acme, other = (
        PagerDutyAccount(subdomain="acme", region="us"),
        PagerDutyAccount(subdomain="globex", region="us"),
    )
    emails = ["ada@example.com", "bob@example.com", "cy@example.com"]
    for payload, at in [
        # Ada's user was provisioned once, then (say) deleted in PagerDuty: the sync waits again.
        (PagerDutyUserProvisioned(account=acme, email=emails[0], user_id="PADA", name="Ada"), -5),
        (UserProvisioningFailed(account=other, email=emails[1], reason="other account", retryable=False), 0),
        (ScheduleSyncWaiting(rotation_id=rotation.id, role="primary", waiting_for=emails), 0),
        (UserProvisioningFailed(account=acme, email=emails[1], reason="e-mail refused", retryable=False), 1),
        (PagerDutyUserProvisioned(account=acme, email=emails[2], user_id="PCY", name="Cy"), 2),  # arrived
    ]:
        await _record(
            recorder, Envelope.new(payload, producer="test", occurred_at=NOW + timedelta(seconds=at))
        )

    waiting = (await pagerduty.view(rotation.id)).waiting_for

    assert waiting == [
        AwaitedPerson("ada@example.com", "Ada", "pending", None, None),
        AwaitedPerson("bob@example.com", "Bob", "failed", "e-mail refused", False),
    ]
    await _record(
        recorder, _synced(rotation.id).model_copy(update={"occurred_at": NOW + timedelta(seconds=3)})
    )
    assert (await pagerduty.view(rotation.id)).waiting_for == []


async def _record(recorder: SyncStatusRecorder, envelope: Envelope[Any]) -> None:
    """As the consumer pipeline applies one event: in one unit of work, committed after."""
    async with committing(recorder.unit_of_work)() as uow:
        await recorder.apply(uow, envelope)


def _synced(rotation_id: str) -> Envelope[ScheduleSynced]:
    payload = ScheduleSynced(
        rotation_id=rotation_id,
        role="primary",
        schedule_id="PSCHED1",
        schedule_url="https://acme.pagerduty.com/schedules/PSCHED1",
        synced_until=NOW + timedelta(days=28),
        layer_ids=["PLAYER1"],
        requests_spent=1,
        drift_repaired=False,
    )
    return Envelope.new(payload, producer="pd-sync-service", occurred_at=NOW - timedelta(minutes=1))
