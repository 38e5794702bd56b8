"""Fold rotation events into the provisioner's state and queue the users that should exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oncall_contracts import (
    Envelope,
    IntegrationConfigured,
    IntegrationRemoved,
    MemberAdded,
    MemberRemoved,
    PagerDutyUserMissing,
    RotationDeleted,
)
from user_provisioner.domain.model import Account, Member
from user_provisioner.service_layer.ports import RotationState
from user_provisioner.service_layer.unit_of_work import UnitOfWork

HANDLED_EVENTS = (
    MemberAdded,
    MemberRemoved,
    IntegrationConfigured,
    IntegrationRemoved,
    RotationDeleted,
    PagerDutyUserMissing,
)


async def fold_event(uow: UnitOfWork, envelope: Envelope[Any], now: datetime) -> None:
    """Fold one new event in `uow` (the consumer pipeline records it in the inbox, then commits)."""
    await fold(uow.rotations, envelope.payload, now)


async def fold(state: RotationState, payload: Any, now: datetime) -> None:
    """Apply one rotation event. Other event types are ignored; stale integration revisions too."""
    if isinstance(payload, MemberAdded):
        await _member_added(state, payload, now)
    elif isinstance(payload, MemberRemoved):
        await _member_removed(state, payload)
    elif isinstance(payload, IntegrationConfigured):
        await _integration_configured(state, payload, now)
    elif isinstance(payload, IntegrationRemoved):
        await _integration_removed(state, payload)
    elif isinstance(payload, RotationDeleted):
        await _rotation_deleted(state, payload)
    elif isinstance(payload, PagerDutyUserMissing):
        await _user_missing(state, payload, now)


async def _rotation_deleted(state: RotationState, event: RotationDeleted) -> None:
    """Forget a deleted rotation's members and account (no MemberRemoved comes for them), and the work
    no other rotation on the account needs; the PagerDuty users stay."""
    current = await state.account_of(event.rotation_id)
    members = await state.members(event.rotation_id)
    for member in members:
        await state.remove_member(event.rotation_id, member.email)
    await state.remove_account(event.rotation_id)
    if current is not None:
        await state.drop_unwanted(current[0].key, [member.email for member in members])


async def _user_missing(state: RotationState, event: PagerDutyUserMissing, now: datetime) -> None:
    """The sync found the user gone from PagerDuty: forget it and provision the member again (the worker
    finds the user by e-mail, or creates it, and announces it)."""
    account_key = event.account.key
    await state.forget_user(account_key, event.email, event.user_id)
    member = await state.member_on_account(account_key, event.email)
    if member is not None:
        await state.want_user(account_key, member, now)


async def _member_added(state: RotationState, event: MemberAdded, now: datetime) -> None:
    member = Member(email=event.email, name=event.name, time_zone=event.time_zone)
    await state.add_member(event.rotation_id, member)
    current = await state.account_of(event.rotation_id)
    if current is not None:
        await state.want_user(current[0].key, member, now)


async def _member_removed(state: RotationState, event: MemberRemoved) -> None:
    await state.remove_member(event.rotation_id, event.email)
    current = await state.account_of(event.rotation_id)
    if current is not None:
        # Never delete the PagerDuty user: only stop work not yet done.
        await state.drop_unwanted(current[0].key, [event.email])


async def _integration_configured(state: RotationState, event: IntegrationConfigured, now: datetime) -> None:
    current = await state.account_of(event.rotation_id)
    if current is not None and event.revision < current[1]:
        return
    account = Account(subdomain=event.account.subdomain, region=event.account.region)
    await state.set_account(event.rotation_id, account, event.credential, event.revision, now)
    members = await state.members(event.rotation_id)
    if current is not None and current[0].key != account.key:
        await state.drop_unwanted(current[0].key, [member.email for member in members])
    for member in members:
        await state.want_user(account.key, member, now)


async def _integration_removed(state: RotationState, event: IntegrationRemoved) -> None:
    current = await state.account_of(event.rotation_id)
    if current is None or event.revision < current[1]:
        return
    await state.remove_account(event.rotation_id)
    members = await state.members(event.rotation_id)
    await state.drop_unwanted(current[0].key, [member.email for member in members])
