"""Folding and the work queue, on the SQL store (a SQLite database migrated by Alembic) and on the
in-memory store the service-layer tests use: the same cases, so the fake keeps the store's rules."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from provisioner_fakes import InMemoryProvisionerStore

from oncall_contracts import (
    CredentialSealer,
    Envelope,
    IntegrationConfigured,
    IntegrationRemoved,
    MemberAdded,
    MemberRemoved,
    PagerDutyAccount,
    PagerDutyUserMissing,
    Payload,
    RotationDeleted,
    Topics,
    generate_key,
    registry,
)
from oncall_platform.consumer import committing
from oncall_platform.database import make_async_engine
from oncall_platform.outbox import OUTBOX, Outbox
from user_provisioner.adapters.store import ProvisionerStore
from user_provisioner.domain.model import Account, Member, PagerDutyUser
from user_provisioner.migrate import SCHEMA
from user_provisioner.service_layer.folding import fold_event
from user_provisioner.service_layer.ports import Access

NOW = datetime(2030, 1, 1, tzinfo=UTC)
LEASE = timedelta(minutes=2)
SEALER = CredentialSealer({"k1": generate_key()}, "k1")
API_KEY = "u+PlainTextPagerDutyKey"
ACME = Account("acme", "us")
P1 = Member(email="p1@example.com", name="P 1", time_zone="UTC")


Store = ProvisionerStore | InMemoryProvisionerStore


@pytest.fixture
async def sql_store(tmp_path: Path) -> AsyncIterator[ProvisionerStore]:
    url = f"sqlite:///{tmp_path / 'provisioner.db'}"
    await SCHEMA.upgrade_async(url)
    engine = make_async_engine(url)
    yield ProvisionerStore(engine, Outbox(Topics()))
    await engine.dispose()


@pytest.fixture(params=["sql", "in-memory"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "sql":
        sql: ProvisionerStore = request.getfixturevalue("sql_store")
        return sql
    return InMemoryProvisionerStore()


def configured(rotation: str, subdomain: str = "acme", revision: int = 1) -> IntegrationConfigured:
    account = PagerDutyAccount(subdomain=subdomain, region="us")
    return IntegrationConfigured(
        rotation_id=rotation,
        rotation_name="R",
        mode="own",
        target_rotation_id=rotation,
        schedule_name="R",
        account=account,
        credential=SEALER.seal(API_KEY, account.key),
        time_zone="UTC",
        schedule_time_zone="UTC",
        revision=revision,
    )


def added(rotation: str, i: int) -> MemberAdded:
    return MemberAdded(rotation_id=rotation, email=f"p{i}@example.com", name=f"P {i}", time_zone="UTC")


async def apply(store: Store, *payloads: Payload) -> None:
    """As the consumer pipeline folds new events: each in one unit of work, committed after."""
    for payload in payloads:
        async with committing(store.unit_of_work)() as uow:
            await fold_event(uow, Envelope.new(payload, producer="rotation-service"), NOW)


async def due_emails(store: Store, account: str = "us:acme") -> list[str]:
    claimed = await store.claim(account, NOW, LEASE, 100)
    return sorted(item.member.email for item in claimed)


def rotation_id() -> str:
    return str(uuid.uuid4())


async def test_members_known_before_the_integration_are_queued_when_it_is_configured(
    store: Store,
) -> None:
    rotation = rotation_id()
    await apply(store, added(rotation, 1), added(rotation, 2))
    assert await store.accounts_with_due_work(NOW) == []

    await apply(store, configured(rotation))

    assert await store.accounts_with_due_work(NOW) == ["us:acme"]
    assert await due_emails(store) == ["p1@example.com", "p2@example.com"]


async def test_a_claimed_user_is_not_claimed_again_until_the_lease_ends(store: Store) -> None:
    rotation = rotation_id()
    await apply(store, configured(rotation), added(rotation, 1))

    assert await due_emails(store) == ["p1@example.com"]
    assert await store.claim("us:acme", NOW, LEASE, 100) == []
    later = await store.claim("us:acme", NOW + LEASE + timedelta(seconds=1), LEASE, 100)
    assert [item.member.email for item in later] == ["p1@example.com"]


async def test_a_renewed_claim_outlasts_its_first_lease(store: Store) -> None:
    rotation = rotation_id()
    await apply(store, configured(rotation), added(rotation, 1), added(rotation, 2))
    assert await due_emails(store) == ["p1@example.com", "p2@example.com"]
    await store.retry_later(ACME, "p2@example.com", "busy", NOW)  # done with p2: no claim left

    await store.renew("us:acme", ["p1@example.com", "p2@example.com"], NOW + 2 * LEASE)

    after_first_lease = NOW + LEASE + timedelta(seconds=1)
    claimed = await store.claim("us:acme", after_first_lease, LEASE, 100)
    assert [item.member.email for item in claimed] == ["p2@example.com"]
    after_renewal = NOW + 2 * LEASE + timedelta(seconds=1)
    assert [item.member.email for item in await store.claim("us:acme", after_renewal, LEASE, 100)] == [
        "p1@example.com"
    ]


async def test_a_provisioned_user_is_never_queued_again(store: Store) -> None:
    rotation, other = rotation_id(), rotation_id()
    await apply(store, configured(rotation), added(rotation, 1))
    await store.complete(ACME, P1, PagerDutyUser("PX1", "p1@example.com", "P 1"), NOW)
    await store.complete(ACME, P1, PagerDutyUser("PX2", "p1@example.com", "P 1"), NOW)  # ignored

    await apply(store, configured(other), added(other, 1), configured(rotation, revision=2))

    assert await due_emails(store) == []
    assert await store.provisioned_user_id("us:acme", "p1@example.com") == "PX1"


async def test_removal_drops_work_only_when_no_rotation_on_the_account_needs_it(
    store: Store,
) -> None:
    first, second = rotation_id(), rotation_id()
    await apply(
        store, configured(first), configured(second), added(first, 1), added(second, 1), added(first, 2)
    )

    await apply(store, MemberRemoved(rotation_id=first, email="p1@example.com"))
    await apply(store, MemberRemoved(rotation_id=first, email="p2@example.com"))

    assert await due_emails(store) == ["p1@example.com"]


async def test_removing_the_integration_drops_its_work_and_stale_revisions_are_ignored(
    store: Store,
) -> None:
    rotation = rotation_id()
    await apply(store, configured(rotation, revision=3), added(rotation, 1))

    await apply(store, IntegrationRemoved(rotation_id=rotation, revision=2))  # older than the config
    assert await store.accounts_with_due_work(NOW) == ["us:acme"]

    await apply(store, IntegrationRemoved(rotation_id=rotation, revision=4))
    assert await store.accounts_with_due_work(NOW) == []
    assert await store.access_to("us:acme", ["p1@example.com"]) == {}

    await apply(store, configured(rotation, subdomain="globex", revision=1))  # stale: removal was rev 4
    assert await store.accounts_with_due_work(NOW) == ["us:globex"]


async def test_a_deleted_rotation_forgets_its_members_and_the_work_only_it_needed(store: Store) -> None:
    deleted, kept = rotation_id(), rotation_id()
    await apply(
        store, configured(deleted), configured(kept), added(deleted, 1), added(deleted, 2), added(kept, 2)
    )

    await apply(store, RotationDeleted(rotation_id=deleted))

    assert await due_emails(store) == ["p2@example.com"]  # p2 is still on the kept rotation
    async with store.unit_of_work() as uow:
        assert await uow.rotations.members(deleted) == []
        assert await uow.rotations.account_of(deleted) is None
        assert await uow.rotations.member_on_account("us:acme", "p1@example.com") is None


async def test_moving_to_another_account_moves_the_work(store: Store) -> None:
    rotation = rotation_id()
    await apply(store, configured(rotation), added(rotation, 1), configured(rotation, "globex", revision=2))

    assert await store.accounts_with_due_work(NOW) == ["us:globex"]
    access = await store.access_to("us:globex", ["p1@example.com"])
    assert SEALER.open(access["p1@example.com"].credential, "us:globex") == API_KEY


async def test_each_rotations_people_get_the_key_of_their_own_rotations_integration(store: Store) -> None:
    ours, theirs = rotation_id(), rotation_id()
    await apply(store, configured(ours), added(ours, 1))
    await apply(store, configured(theirs, revision=1), added(theirs, 2))  # configured later, same account

    access = await store.access_to("us:acme", ["p1@example.com", "p2@example.com", "nobody@example.com"])

    assert {email: granted.rotation_id for email, granted in access.items()} == {
        "p1@example.com": ours,
        "p2@example.com": theirs,
    }


async def test_a_stored_key_counts_as_checked_from_its_check_until_another_key_is_stored(
    store: Store,
) -> None:
    rotation = rotation_id()
    await apply(store, configured(rotation), added(rotation, 1))

    async def granted() -> Access:
        return (await store.access_to("us:acme", ["p1@example.com"]))["p1@example.com"]

    checked = await granted()
    assert not checked.verified
    await store.mark_verified(checked, NOW)
    assert (await granted()).verified
    await apply(store, configured(rotation, revision=2))  # a new key: unchecked again
    assert not (await granted()).verified
    await store.mark_verified(checked, NOW)  # the old key's check does not count for the new key
    assert not (await granted()).verified


async def test_failed_work_is_revived_by_configuring_the_integration_again(store: Store) -> None:
    rotation = rotation_id()
    await apply(store, configured(rotation), added(rotation, 1))
    await store.give_up(ACME, "p1@example.com", "401")
    assert await store.accounts_with_due_work(NOW) == []

    await apply(store, configured(rotation, revision=2))

    assert await due_emails(store) == ["p1@example.com"]


async def test_the_inbox_of_a_unit_of_work_records_an_event_once(store: Store) -> None:
    event_id = uuid.uuid4()
    async with committing(store.unit_of_work)() as uow:
        assert await uow.first_time("user-provisioner", event_id) is True
        assert await uow.first_time("user-provisioner", event_id) is False
    async with committing(store.unit_of_work)() as uow:
        assert await uow.first_time("user-provisioner", event_id) is False  # redelivered
        assert await uow.first_time("another-consumer", event_id) is True


async def test_an_inbox_record_not_committed_is_not_kept(store: Store) -> None:
    event_id = uuid.uuid4()
    async with store.unit_of_work() as uow:  # the fold failed: no commit
        assert await uow.first_time("user-provisioner", event_id) is True

    async with committing(store.unit_of_work)() as uow:
        assert await uow.first_time("user-provisioner", event_id) is True


async def test_the_credential_is_stored_sealed(sql_store: ProvisionerStore, tmp_path: Path) -> None:
    rotation = rotation_id()
    await apply(sql_store, configured(rotation))

    assert b"key" not in (tmp_path / "provisioner.db").read_bytes().replace(b"_key", b"").replace(
        b"key_", b""
    )


async def test_each_outcome_is_announced_in_the_transaction_that_records_it(
    sql_store: ProvisionerStore,
) -> None:
    rotation = rotation_id()
    await apply(sql_store, configured(rotation), added(rotation, 1), added(rotation, 2))
    await sql_store.complete(ACME, P1, PagerDutyUser("PX1", "p1@example.com", "P 1"), NOW)
    await sql_store.retry_later(ACME, "p2@example.com", "PagerDuty 503", NOW, announce=True)
    await sql_store.retry_later(ACME, "p2@example.com", "PagerDuty 503", NOW)  # quietly
    await sql_store.give_up(ACME, "p2@example.com", "PagerDuty 400")

    async with sql_store._engine.connect() as conn:
        rows = (await conn.execute(OUTBOX.select().order_by(OUTBOX.c.id))).all()
    provisioned, retrying, failed = (registry.decode(row.value, row.headers).payload for row in rows)
    assert (provisioned.email, provisioned.user_id) == ("p1@example.com", "PX1")
    assert provisioned.account.key == ACME.key
    assert (retrying.email, retrying.reason, retrying.retryable) == ("p2@example.com", "PagerDuty 503", True)
    assert (failed.email, failed.reason, failed.retryable) == ("p2@example.com", "PagerDuty 400", False)
    assert await sql_store.provisioned_user_id(ACME.key, "p1@example.com") == "PX1"


def missing(user_id: str, email: str = "p1@example.com") -> PagerDutyUserMissing:
    return PagerDutyUserMissing(
        account=PagerDutyAccount(subdomain="acme", region="us"),
        email=email,
        user_id=user_id,
        reason="deleted",
    )


async def test_a_user_pagerduty_lost_is_forgotten_and_provisioned_again(store: Store) -> None:
    rotation = rotation_id()
    await apply(store, configured(rotation), added(rotation, 1))
    await due_emails(store)
    await store.complete(ACME, P1, PagerDutyUser("PX1", "p1@example.com", "P 1"), NOW)
    assert await due_emails(store) == []

    await apply(store, missing("PX0"))  # an id that is not the mapping's any more: nothing to forget
    assert await store.provisioned_user_id("us:acme", "p1@example.com") == "PX1"
    assert await due_emails(store) == []

    await apply(store, missing("PX1"))
    assert await store.provisioned_user_id("us:acme", "p1@example.com") is None
    assert await due_emails(store) == ["p1@example.com"]


async def test_a_lost_user_nobody_on_the_account_needs_is_only_forgotten(store: Store) -> None:
    await apply(store, missing("PX9", "nobody@example.com"))
    assert await store.accounts_with_due_work(NOW) == []
