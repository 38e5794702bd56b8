"""PagerDuty users that disappeared (deleted, or their e-mail changed): the mapping to them is a cache
PagerDuty can invalidate at any time. The sync forgets it, asks for the user again
(`PagerDutyUserMissing`, which the provisioner answers with `PagerDutyUserProvisioned`) and marks the
schedules showing the person dirty; they wait for the user (and say so) and are written again when it
arrives."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from oncall_contracts import CredentialSealer, PagerDutyAccount, PagerDutyUserMissing
from oncall_pagerduty import PagerDutyError
from oncall_platform.clock import Clock, system_clock
from pd_sync_service.domain.records import IntegrationRecord
from pd_sync_service.service_layer.folding import mark_target_dirty
from pd_sync_service.service_layer.unit_of_work import UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)

_USER_NOT_FOUND = re.compile(r"\bUser (\w+) not found", re.IGNORECASE)
PAGE = 100
MAX_OFFSET = 10_000  # PagerDuty refuses offset + limit above it


def users_refused(error: PagerDutyError) -> set[str]:
    """The user ids a refused schedule write names as unknown (`400 3001 Invalid Schedule`, `User P...
    not found`); empty for any other error."""
    if error.status != 400:
        return set()
    return {
        match.group(1) for text in (error.message, *error.errors) for match in _USER_NOT_FOUND.finditer(text)
    }


async def ask_again(
    uow: UnitOfWork,
    integration: IntegrationRecord,
    missing: Mapping[str, str],
    now: datetime,
    *,
    syncing: str | None = None,
) -> set[str]:
    """Forget the users in `missing` (user id -> reason), ask for each again and mark the targets
    showing their people dirty (except `syncing`, the target whose sync found out and retries itself).
    Returns the e-mails asked for."""
    account = PagerDutyAccount(subdomain=integration.subdomain, region=integration.region)
    asked: set[str] = set()
    for user_id, reason in sorted(missing.items()):
        for email in await uow.users.forget(integration.account_key, user_id):
            logger.warning(
                "PagerDuty user %s of %s is gone (%s); asking for it again", user_id, email, reason
            )
            uow.outbox.add(
                [PagerDutyUserMissing(account=account, email=email, user_id=user_id, reason=reason)]
            )
            asked.add(email)
    targets: set[str] = set()
    for email in sorted(asked):
        targets |= await uow.integrations.targets_showing(integration.account_key, email)
    for target in sorted(targets - {syncing} if syncing else targets):
        await mark_target_dirty(uow, target, now)
    return asked


class UserCheck:
    """The periodic check of the users the schedules use: one account at a time, `GET /users` page by
    page (one request per 100 users of the account), comparing each user in use with PagerDuty's.
    An account whose key is busy (its requests waiting for the rate budget, as in a backfill) is
    left for the next check: the listing would take requests from the writes, and a write refused
    for a gone user finds that user anyway."""

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        pagerduty: Callable[[str, str], Any],
        sealer: CredentialSealer,
        pagerduty_clock: Clock,
        *,
        clock: Clock = system_clock,
        on_marked: Callable[[], None] = lambda: None,
    ) -> None:
        self._uow, self._pagerduty, self._sealer = unit_of_work, pagerduty, sealer
        self._pd_now, self._now, self._on_marked = pagerduty_clock, clock, on_marked

    async def run_once(self) -> int:
        """Check every account once; returns how many users were found missing."""
        async with self._uow() as uow:
            accounts = await uow.integrations.one_per_account()
            in_use = {a.account_key: await uow.users.in_use(a.account_key, self._pd_now()) for a in accounts}
        found = 0
        for integration in accounts:
            users = in_use[integration.account_key]
            if not users:
                continue
            client = self._client(integration)
            if client.budget.busy():  # the writes need the key's requests; refused writes still tell
                logger.info("%s is busy writing; its users are checked next time", integration.account_key)
                continue
            try:
                listed = await self._users_of(client, integration)
            except PagerDutyError as error:  # checked again next time
                logger.warning(
                    "listing the users of %s failed: %s", integration.account_key, error.describe()
                )
                continue
            except _TooManyUsers:
                logger.info(
                    "%s has too many users to list; refused writes still find gone users",
                    integration.account_key,
                )
                continue
            missing = _missing(users, listed)
            if not missing:
                continue
            async with self._uow() as uow:
                found += len(await ask_again(uow, integration, missing, self._now()))
                await uow.commit()
            self._on_marked()
        return found

    def _client(self, integration: IntegrationRecord) -> Any:
        return self._pagerduty(
            self._sealer.open(integration.credential, integration.account_key), integration.region
        )

    async def _users_of(self, client: Any, integration: IntegrationRecord) -> dict[str, str]:
        """Every user of the account: id -> lower-case e-mail."""
        users: dict[str, str] = {}
        offset = 0
        while True:
            page = await client.get("/users", params={"limit": PAGE, "offset": offset})
            items = page.get("users") or []
            users.update({str(u.get("id")): str(u.get("email") or "").lower() for u in items})
            offset += len(items)
            if not page.get("more") or not items:
                return users
            if offset + PAGE > MAX_OFFSET:  # PagerDuty lists no further: absence would prove nothing
                raise _TooManyUsers(integration.account_key)


class _TooManyUsers(Exception):
    pass


def _missing(in_use: Mapping[str, str], listed: Mapping[str, str]) -> dict[str, str]:
    """user id -> why it no longer serves its e-mail."""
    missing: dict[str, str] = {}
    for email, user_id in in_use.items():
        if user_id not in listed:
            missing[user_id] = f"PagerDuty no longer has user {user_id} of {email} (deleted)"
        elif listed[user_id] != email:
            missing[user_id] = (
                f"the e-mail of PagerDuty user {user_id} was changed from {email} to {listed[user_id]}"
            )
    return missing
