"""The PagerDuty user directory over `oncall_pagerduty`, translating its errors into domain terms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any, TypeVar

from oncall_contracts import CredentialError, CredentialSealer, SealedCredential
from oncall_pagerduty import (
    AuthenticationError,
    ClientPool,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PagerDutyClient,
    PagerDutyError,
    PaymentRequiredError,
)
from oncall_pagerduty.key_check import KeyChecker, KeyCheckUnavailable, KeyRefused
from user_provisioner.domain.model import (
    Account,
    AccountRejected,
    EmailAlreadyTaken,
    Member,
    PagerDutyUser,
    RequestRejected,
    TemporaryFailure,
    exact_email_match,
)

T = TypeVar("T")
ClientFactory = Callable[[str, Account], PagerDutyClient]

_ACCOUNT_REFUSALS = {
    AuthenticationError: "the PagerDuty API key is invalid or revoked (401)",
    ForbiddenError: "the PagerDuty API key may not create users: is it read-only? (403)",
    PaymentRequiredError: "the PagerDuty account lacks the ability or licence to create users (402)",
}


class PagerDutyUserDirectory:
    """`POST /users` with the configured role; `GET /users?query=` with an exact e-mail match; an
    optional prefetched index of the account's users that answers `known` without a request."""

    def __init__(self, client: PagerDutyClient, *, role: str) -> None:
        self._client = client
        self._role = role
        self._index: dict[str, PagerDutyUser] = {}

    async def prefetch(self, max_users: int) -> bool:
        """`GET /users` page by page (100 each), giving up once the account holds more than `max_users`."""

        async def load() -> dict[str, PagerDutyUser] | None:
            index: dict[str, PagerDutyUser] = {}
            async with aclosing(self._client.paginate("/users", "users")) as pages:
                async for raw in pages:
                    user = _user(raw)
                    index[user.email.casefold()] = user
                    if len(index) > max_users:
                        return None
            return index

        index = await _translated(load)
        if index is None:
            return False
        self._index = index
        return True

    def known(self, email: str) -> PagerDutyUser | None:
        return self._index.get(email.casefold())

    async def find_by_email(self, email: str) -> PagerDutyUser | None:
        async def search() -> list[PagerDutyUser]:
            return [_user(raw) async for raw in self._client.paginate("/users", "users", {"query": email})]

        return exact_email_match(await _translated(search), email)

    async def create(self, member: Member) -> PagerDutyUser:
        body = {
            "user": {
                "type": "user",
                "name": member.name,
                "email": member.email,
                "time_zone": member.time_zone,
                "role": self._role,
            }
        }

        async def post() -> dict[str, Any]:
            return await self._client.post("/users", body)

        return _user((await _translated(post)).get("user", {}))


class PagerDutyDirectories:
    """One client per (account, key), reused across batches so the connection pool and budget are shared."""

    def __init__(self, sealer: CredentialSealer, client_factory: ClientFactory, *, role: str) -> None:
        self._sealer = sealer
        self._client_factory = client_factory
        self._role = role
        self._clients = ClientPool()

    def directory_for(self, account: Account, credential: SealedCredential) -> PagerDutyUserDirectory:
        api_key = self._open(account, credential)
        client = self._clients.get(api_key, account.key, lambda: self._client_factory(api_key, account))
        return PagerDutyUserDirectory(client, role=self._role)

    async def check_key(self, account: Account, credential: SealedCredential) -> None:
        api_key = self._open(account, credential)
        checker = KeyChecker(
            lambda key, region: self._client_factory(key, Account(account.subdomain, region))
        )
        try:
            await checker.check(account.subdomain, account.region, api_key)
        except KeyRefused as refusal:
            raise AccountRejected(
                f"PagerDuty's check of the rotation's API key failed ({refusal}); nobody is created with "
                "it: an administrator of the rotation must enter a full-access key for this account again "
                "in its PagerDuty settings"
            ) from None
        except KeyCheckUnavailable as error:
            raise TemporaryFailure(str(error)) from None

    def _open(self, account: Account, credential: SealedCredential) -> str:
        try:
            return self._sealer.open(credential, account.key)
        except CredentialError as error:
            raise AccountRejected(f"the sealed PagerDuty API key cannot be opened: {error}") from None

    async def aclose(self) -> None:
        await self._clients.aclose()


async def _translated(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except PagerDutyError as error:
        raise _domain_error(error) from None


def _domain_error(error: PagerDutyError) -> Exception:
    for error_class, reason in _ACCOUNT_REFUSALS.items():
        if isinstance(error, error_class):
            return AccountRejected(f"{reason}: {error.describe()}")
    if isinstance(error, InvalidInputError) and _says_email_taken(error):
        return EmailAlreadyTaken(error.describe())
    if isinstance(error, InvalidInputError | NotFoundError) or not error.retryable:
        return RequestRejected(error.describe())
    return TemporaryFailure(error.describe())


def _says_email_taken(error: PagerDutyError) -> bool:
    return any("already been taken" in text.lower() for text in [error.message, *error.errors])


def _user(raw: Any) -> PagerDutyUser:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise TemporaryFailure(f"PagerDuty returned a user without an id: {str(raw)[:200]}")
    return PagerDutyUser(id=str(raw["id"]), email=str(raw.get("email", "")), name=str(raw.get("name", "")))
