from __future__ import annotations

import json

import httpx
import pytest

from oncall_contracts import CredentialSealer, generate_key
from oncall_pagerduty import PagerDutyClient, RequestBudget, RetryPolicy
from user_provisioner.adapters.pagerduty_users import PagerDutyDirectories, PagerDutyUserDirectory
from user_provisioner.domain.model import (
    Account,
    AccountRejected,
    EmailAlreadyTaken,
    Member,
    PagerDutyUser,
    RequestRejected,
    TemporaryFailure,
)
from user_provisioner.service_layer.provisioning import ensure_user

ADA = Member(email="ada@example.com", name="Ada Lovelace", time_zone="Europe/London")


def _directory(handler: httpx.MockTransport) -> PagerDutyUserDirectory:
    client = PagerDutyClient(
        "k", transport=handler, retry=RetryPolicy.never(), budget=RequestBudget(960), from_email="admin@x.io"
    )
    return PagerDutyUserDirectory(client, role="limited_user")


def _users(*users: dict[str, str]) -> httpx.Response:
    return httpx.Response(200, json={"users": list(users), "more": False})


async def test_lookup_matches_the_email_exactly_ignoring_case() -> None:
    answer = _users(
        {"id": "P1", "email": "ada@example.com.evil", "name": "Not Ada"},
        {"id": "P2", "email": "someone@example.com", "name": "ada@example.com fan"},
        {"id": "P3", "email": "ADA@Example.com", "name": "Ada"},
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    user = await _directory(httpx.MockTransport(handler)).find_by_email("ada@example.com")

    assert user is not None
    assert user.id == "P3"
    assert seen[0].url.params["query"] == "ada@example.com"


async def test_lookup_without_an_exact_match_finds_nobody() -> None:
    answer = _users({"id": "P1", "email": "ada@example.com.evil", "name": "x"})
    directory = _directory(httpx.MockTransport(lambda request: answer))

    assert await directory.find_by_email("ada@example.com") is None


async def test_create_sends_name_email_zone_role_and_from() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"user": {"id": "PNEW", "email": ADA.email, "name": ADA.name}})

    user = await _directory(httpx.MockTransport(handler)).create(ADA)

    assert user.id == "PNEW"
    assert json.loads(seen[0].content) == {
        "user": {
            "type": "user",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "time_zone": "Europe/London",
            "role": "limited_user",
        }
    }
    assert seen[0].headers["From"] == "admin@x.io"


@pytest.mark.parametrize(
    ("status", "body", "domain_error", "words"),
    [
        (
            400,
            {"error": {"message": "Invalid Input", "code": 2001, "errors": ["Email has already been taken"]}},
            EmailAlreadyTaken,
            "already been taken",
        ),
        (
            400,
            {"error": {"message": "Invalid Input", "code": 2001, "errors": {"email": ["is invalid"]}}},
            RequestRejected,
            "email: is invalid",
        ),
        (401, {"error": {"message": "Unauthorized", "code": 2006}}, AccountRejected, "invalid or revoked"),
        (403, {"error": {"message": "Access Denied", "code": 2010}}, AccountRejected, "read-only"),
        (402, {"error": {"message": "Payment Required", "code": 2012}}, AccountRejected, "licence"),
        (500, {"error": {"message": "Internal", "code": 2000}}, TemporaryFailure, "500"),
        (429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, TemporaryFailure, "Rate Limit"),
    ],
)
async def test_pagerduty_errors_become_domain_errors(
    status: int, body: dict[str, object], domain_error: type[Exception], words: str
) -> None:
    directory = _directory(httpx.MockTransport(lambda request: httpx.Response(status, json=body)))

    with pytest.raises(domain_error) as raised:
        await directory.create(ADA)

    assert type(raised.value) is domain_error
    assert words in str(raised.value)


def test_directories_refuse_a_credential_sealed_for_another_account() -> None:
    sealer = CredentialSealer({"k1": generate_key()}, "k1")
    sealed = sealer.seal("secret-key", "us:globex")
    directories = PagerDutyDirectories(sealer, lambda key, account: PagerDutyClient(key), role="user")

    with pytest.raises(AccountRejected, match="cannot be opened"):
        directories.directory_for(Account("acme", "us"), sealed)


async def test_directories_reuse_one_client_per_account_and_key() -> None:
    sealer = CredentialSealer({"k1": generate_key()}, "k1")
    made: list[str] = []

    def factory(key: str, account: Account) -> PagerDutyClient:
        made.append(account.key)
        return PagerDutyClient(key)

    directories = PagerDutyDirectories(sealer, factory, role="user")
    acme = Account("acme", "us")
    directories.directory_for(acme, sealer.seal("secret-key", acme.key))
    directories.directory_for(acme, sealer.seal("secret-key", acme.key))
    directories.directory_for(acme, sealer.seal("rotated-key", acme.key))
    await directories.aclose()

    assert made == ["us:acme", "us:acme"]


async def test_prefetch_answers_known_without_a_request_each() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _users({"id": "P1", "email": "Ada@Example.com", "name": "Ada"})

    directory = _directory(httpx.MockTransport(handler))

    assert directory.known("ada@example.com") is None  # nothing prefetched yet
    assert await directory.prefetch(max_users=10) is True
    found = directory.known("ada@example.com")
    absent = directory.known("bob@example.com")

    assert found is not None
    assert found.id == "P1"
    assert absent is None
    assert len(seen) == 1
    assert "query" not in seen[0].url.params


async def test_prefetch_gives_up_on_an_account_with_more_users() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        users = [{"id": f"P{offset + i}", "email": f"u{offset + i}@x.io", "name": "U"} for i in range(100)]
        return httpx.Response(200, json={"users": users, "more": True})

    directory = _directory(httpx.MockTransport(handler))

    assert await directory.prefetch(max_users=150) is False
    assert directory.known("u1@x.io") is None


async def test_find_by_email_asks_pagerduty_even_after_a_prefetch() -> None:
    answers = iter(
        [
            _users(),  # the prefetch: nobody yet
            _users({"id": "PLATER", "email": "ada@example.com", "name": "Ada"}),  # the live lookup
        ]
    )
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    directory = _directory(httpx.MockTransport(handler))
    await directory.prefetch(max_users=10)

    found = await directory.find_by_email("ada@example.com")

    assert found is not None
    assert found.id == "PLATER"
    assert seen[-1].url.params["query"] == "ada@example.com"


class PagerDutyAccount:
    """A MockTransport handler holding one account's users: `POST /users` refuses a taken e-mail."""

    def __init__(self, *existing: PagerDutyUser) -> None:
        self.users = list(existing)
        self.requests: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if request.method == "GET":
            return _users(*(self._raw(user) for user in self._matching(request.url.params.get("query"))))
        if request.method == "POST" and request.url.path == "/users":
            return self._create(json.loads(request.content)["user"])
        return httpx.Response(405, json={"error": {"message": "not in this fake", "code": 2000}})

    def _create(self, body: dict[str, str]) -> httpx.Response:
        if any(user.email.casefold() == body["email"].casefold() for user in self.users):
            error = {
                "message": "Invalid Input Provided",
                "code": 2001,
                "errors": ["Email has already been taken"],
            }
            return httpx.Response(400, json={"error": error})
        user = PagerDutyUser(id=f"PNEW{len(self.users)}", email=body["email"], name=body["name"])
        self.users.append(user)
        return httpx.Response(201, json={"user": self._raw(user)})

    def _matching(self, query: str | None) -> list[PagerDutyUser]:
        if query is None:
            return self.users
        return [user for user in self.users if query.casefold() in f"{user.email} {user.name}".casefold()]

    @staticmethod
    def _raw(user: PagerDutyUser) -> dict[str, str]:
        return {"id": user.id, "email": user.email, "name": user.name}


async def test_a_new_user_costs_exactly_one_request() -> None:
    account = PagerDutyAccount(PagerDutyUser("POTHER", "grace@example.com", "Grace"))

    user = await ensure_user(_directory(httpx.MockTransport(account)), ADA)

    assert account.requests == [("POST", "/users")]
    assert user.email == ADA.email
    assert user in account.users


async def test_an_existing_user_not_prefetched_costs_the_refused_post_and_one_lookup() -> None:
    existing = PagerDutyUser("PEXIST", "ADA@Example.com", "Ada L.")
    account = PagerDutyAccount(existing)

    user = await ensure_user(_directory(httpx.MockTransport(account)), ADA)

    assert user == existing  # adopted as it is: not renamed, not recreated
    assert account.requests == [("POST", "/users"), ("GET", "/users")]
    assert account.users == [existing]


async def test_a_prefetched_user_costs_no_request() -> None:
    existing = PagerDutyUser("PEXIST", "ada@example.com", "Ada")
    account = PagerDutyAccount(existing)
    directory = _directory(httpx.MockTransport(account))
    await directory.prefetch(max_users=10)
    account.requests.clear()

    assert await ensure_user(directory, ADA) == existing
    assert account.requests == []


async def test_a_user_created_after_the_prefetch_is_adopted_through_a_live_lookup() -> None:
    account = PagerDutyAccount()
    directory = _directory(httpx.MockTransport(account))
    await directory.prefetch(max_users=10)
    raced = PagerDutyUser("PRACE", "ada@example.com", "Ada")
    account.users.append(raced)  # another replica, after the prefetch

    assert await ensure_user(directory, ADA) == raced
    assert account.requests[1:] == [("POST", "/users"), ("GET", "/users")]


async def test_taken_without_a_matching_user_is_a_temporary_failure() -> None:
    # "taken", but the lookup finds only a look-alike (e.g. the user was just deleted by a person)
    account = PagerDutyAccount(PagerDutyUser("PEVIL", "ada@example.com.evil", "Not Ada"))
    taken = {"message": "x", "code": 2001, "errors": ["Email has already been taken"]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(400, json={"error": taken})
        return account(request)

    with pytest.raises(TemporaryFailure, match="taken but no user"):
        await ensure_user(_directory(httpx.MockTransport(handler)), ADA)
