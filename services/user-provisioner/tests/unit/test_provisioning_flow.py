"""The service layer end to end on in-memory ports: events folded into work, the worker draining it."""

from __future__ import annotations

from datetime import UTC, datetime

from provisioner_fakes import FakeDirectories, FakeDirectory, InMemoryProvisionerStore

from oncall_contracts import (
    CredentialSealer,
    Envelope,
    IntegrationConfigured,
    MemberAdded,
    PagerDutyAccount,
    Payload,
    generate_key,
)
from oncall_platform.consumer import committing
from user_provisioner.service_layer.folding import fold_event
from user_provisioner.service_layer.worker import ProvisioningWorker, WorkerOptions

NOW = datetime(2030, 1, 1, tzinfo=UTC)
ROTATION = "5b0c4b1e-0000-4000-8000-000000000001"
SEALER = CredentialSealer({"k1": generate_key()}, "k1")
ACCOUNT = PagerDutyAccount(subdomain="acme", region="us")


def configured() -> IntegrationConfigured:
    return IntegrationConfigured(
        rotation_id=ROTATION,
        rotation_name="R",
        mode="own",
        target_rotation_id=ROTATION,
        schedule_name="R",
        account=ACCOUNT,
        credential=SEALER.seal("u+key", ACCOUNT.key),
        time_zone="UTC",
        schedule_time_zone="UTC",
        revision=1,
    )


def added(name: str) -> MemberAdded:
    return MemberAdded(rotation_id=ROTATION, email=f"{name}@example.com", name=name, time_zone="UTC")


async def fold_all(store: InMemoryProvisionerStore, *payloads: Payload) -> None:
    for payload in payloads:
        async with committing(store.unit_of_work)() as uow:
            await fold_event(uow, Envelope.new(payload, producer="rotation-service"), NOW)


def worker(store: InMemoryProvisionerStore, directory: FakeDirectory) -> ProvisioningWorker:
    return ProvisioningWorker(store, FakeDirectories(directory), WorkerOptions(), clock=lambda: NOW)


async def test_members_of_a_synced_rotation_become_users_once() -> None:
    store, directory = InMemoryProvisionerStore(), FakeDirectory({"bob@example.com": "PBOB"})
    await fold_all(store, added("ann"), configured(), added("bob"))

    await worker(store, directory).drain_account(ACCOUNT.key)

    assert sorted(store.published) == [("ann@example.com", "U1"), ("bob@example.com", "PBOB")]
    assert await store.provisioned_user_id(ACCOUNT.key, "ann@example.com") == "U1"
    assert await store.accounts_with_due_work(NOW) == []

    await fold_all(store, configured().model_copy(update={"revision": 2}), added("ann"))
    await worker(store, directory).drain_account(ACCOUNT.key)
    # The second configuration queued nobody: no request beyond the first drain's.
    assert sorted(directory.requests) == [
        ("GET", "bob@example.com"),
        ("POST", "ann@example.com"),
        ("POST", "bob@example.com"),
    ]
    assert len(store.published) == 2
