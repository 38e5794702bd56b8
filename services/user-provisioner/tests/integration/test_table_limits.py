"""The provisioner's tables hold the longest values the contracts allow, and the migrations agree."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from oncall_contracts import CredentialSealer, Topics, generate_key, limits
from oncall_platform.database import make_async_engine
from oncall_platform.outbox import Outbox
from oncall_platform.tables import schema
from oncall_testing.databases import declared_text_lengths, text_column_lengths
from user_provisioner.adapters.store import ProvisionerStore
from user_provisioner.adapters.tables import Table
from user_provisioner.domain.model import Account, Member, PagerDutyUser
from user_provisioner.migrate import SCHEMA

pytestmark = pytest.mark.integration

ROTATION_ID = "6f1c2b9e-3d4a-4c5b-8e7f-9a0b1c2d3e4f"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
# 64 + 1 + 63 + 1 + 63 + 1 + 57 + 4 = 254 characters: the longest e-mail a MemberAdded carries.
LONGEST_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
LONGEST_NAME = "N" * limits.PERSON_NAME
ACCOUNT = Account(subdomain="s" * limits.SUBDOMAIN, region="eu")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await SCHEMA.upgrade_async(database_url)
    engine = make_async_engine(database_url)
    yield engine
    await engine.dispose()


async def test_every_text_column_has_the_declared_maximum_length(
    engine: AsyncEngine, database_url: str
) -> None:
    migrated = await text_column_lengths(database_url)
    declared = declared_text_lengths(schema(Table.metadata))

    assert migrated.pop("alembic_version.version_num") == 32
    assert {column: declared.get(column) for column in migrated} == migrated
    assert [column for column, length in migrated.items() if length is None] == []


async def test_the_longest_name_e_mail_account_and_credential_are_stored(engine: AsyncEngine) -> None:
    store = ProvisionerStore(engine, Outbox(Topics()))
    member = Member(email=LONGEST_EMAIL, name=LONGEST_NAME, time_zone="America/Argentina/ComodRivadavia")
    sealer = CredentialSealer(
        {"k" * limits.CREDENTIAL_KEY_ID: generate_key()}, "k" * limits.CREDENTIAL_KEY_ID
    )
    credential = sealer.seal("\U0001f511" * limits.API_KEY, ACCOUNT.key)

    async with store.unit_of_work() as work:
        await work.rotations.add_member(ROTATION_ID, member)
        await work.rotations.set_account(ROTATION_ID, ACCOUNT, credential, revision=1, now=NOW)
        await work.rotations.want_user(ACCOUNT.key, member, NOW)
        await work.commit()
    await store.give_up(ACCOUNT, LONGEST_EMAIL, "PagerDuty said: " + "x" * 5000)
    user = PagerDutyUser("P" * limits.ID, LONGEST_EMAIL, LONGEST_NAME)
    await store.complete(ACCOUNT, member, user, NOW)

    async with store.unit_of_work() as work:
        assert await work.rotations.members(ROTATION_ID) == [member]
        assert await work.rotations.account_of(ROTATION_ID) == (ACCOUNT, 1)
    assert await store.provisioned_user_id(ACCOUNT.key, LONGEST_EMAIL) == "P" * limits.ID
    granted = (await store.access_to(ACCOUNT.key, [LONGEST_EMAIL]))[LONGEST_EMAIL]
    assert (granted.rotation_id, granted.account, granted.credential) == (ROTATION_ID, ACCOUNT, credential)


async def test_a_name_longer_than_pagerduty_allows_does_not_fit(engine: AsyncEngine) -> None:
    store = ProvisionerStore(engine, Outbox(Topics()))
    too_long = Member(email="ada@example.com", name="N" * (limits.PERSON_NAME + 1), time_zone="UTC")

    with pytest.raises(DBAPIError, match="too long"):
        async with store.unit_of_work() as work:
            await work.rotations.add_member(ROTATION_ID, too_long)


async def test_the_migration_cuts_a_stored_name_pagerduty_would_refuse(database_url: str) -> None:
    await SCHEMA.upgrade_async(database_url, "0001")
    engine = make_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO memberships VALUES (:rotation, 'ada@example.com', :name, 'UTC')"),
                {"rotation": ROTATION_ID, "name": "N" * 150},
            )
        await SCHEMA.upgrade_async(database_url)
        async with engine.connect() as connection:
            stored = (await connection.execute(text("SELECT name FROM memberships"))).scalar_one()
    finally:
        await engine.dispose()

    assert stored == "N" * limits.PERSON_NAME
