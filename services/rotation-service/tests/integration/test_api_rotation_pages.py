"""GET /v1/rotations pages: `limit`, an opaque `cursor`, and RFC 8288 `Link: <...>; rel="next"`.

Every test runs on PostgreSQL and on the embedded SQLite database (the keyset compares timestamps).
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from oncall_contracts.topics import Topics
from rotation_service.adapters.migrations import SCHEMA
from rotation_service.bootstrap import Container, bootstrap

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"
READER = "reader@example.com"
NEXT = re.compile(r'^<(http://rotation-service\.test/v1/rotations\?[^>]+)>; rel="next"$')


@pytest.fixture
async def sqlite_container(
    tmp_path: Path, clock: Any, make_service_settings: Any
) -> AsyncIterator[Container]:
    url = f"sqlite:///{tmp_path / 'rotation-service.db'}"
    await SCHEMA.upgrade_async(url)
    container = bootstrap(make_service_settings(url, "127.0.0.1:1", Topics("sqlite.")), clock=clock)
    yield container
    await container.close()


@pytest.fixture(params=["container", "sqlite_container"], ids=["postgresql", "sqlite"])
def listing_container(request: pytest.FixtureRequest) -> Container:
    container: Container = request.getfixturevalue(request.param)
    return container


@pytest.fixture
async def client(listing_container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """Overrides the conftest client, so `api` talks to the parametrised database."""
    transport = httpx.ASGITransport(app=listing_container.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://rotation-service.test") as http:
        yield http


async def create_rotations(api: Any, clock: Any, names: list[str], *, per_instant: int = 1) -> list[str]:
    """Creates the rotations, `per_instant` at each clock reading (ties are ordered by id), and
    returns their ids in listing order: creation time, then id."""
    created: list[tuple[int, str]] = []
    for index, name in enumerate(names):
        if index and index % per_instant == 0:
            clock.now += timedelta(minutes=1)
        created.append((index // per_instant, (await api.create_rotation(OWNER, name=name))["id"]))
    return [rotation_id for _, rotation_id in sorted(created)]


class Pages:
    """Reads the listing as a signed-in user who administers none of the rotations."""

    def __init__(self, client: httpx.AsyncClient, api: Any) -> None:
        self.client = client
        self.headers = api.auth(READER)

    async def get(self, url: str, **params: object) -> httpx.Response:
        response = await self.client.get(url, params=params or None, headers=self.headers)
        assert response.status_code == 200, response.text
        return response

    async def follow(self, **params: object) -> list[list[dict[str, Any]]]:
        """Every page from the first, following `Link: rel="next"` until a page has none."""
        pages: list[list[dict[str, Any]]] = []
        response = await self.get("/v1/rotations", **params)
        while True:
            pages.append(response.json())
            if "Link" not in response.headers:
                return pages
            match = NEXT.fullmatch(response.headers["Link"])
            assert match, response.headers["Link"]
            assert len(pages) < 50, "the Link header never ends"
            response = await self.get(match.group(1))

    async def refused(self, **params: object) -> dict[str, Any]:
        """The one problem of a 422 answer."""
        response = await self.client.get("/v1/rotations", params=params, headers=self.headers)
        assert response.status_code == 422, response.text
        [problem] = response.json()["detail"]
        return dict(problem)


@pytest.fixture
def pages(client: httpx.AsyncClient, api: Any) -> Pages:
    return Pages(client, api)


def ids(listed: list[list[dict[str, Any]]]) -> list[str]:
    return [rotation["id"] for page in listed for rotation in page]


async def test_following_next_links_lists_every_rotation_once_in_creation_order(
    pages: Pages, api: Any, clock: Any
) -> None:
    # Names run against creation order, so a listing by name would fail; pairs share an instant.
    names = [f"Rotation {letter}" for letter in "GFEDCBA"]
    expected = await create_rotations(api, clock, names, per_instant=2)

    listed = await pages.follow(limit=3)

    assert [len(page) for page in listed] == [3, 3, 1]
    assert ids(listed) == expected
    first = await pages.get("/v1/rotations", limit=3)
    assert "limit=3" in first.headers["Link"]
    assert first.links["next"]["url"].startswith("http://rotation-service.test/v1/rotations?")


async def test_the_default_page_holds_100_rotations(pages: Pages, api: Any, clock: Any) -> None:
    expected = await create_rotations(api, clock, [f"R{n:03}" for n in range(101)], per_instant=10)

    first = await pages.get("/v1/rotations")
    assert [r["id"] for r in first.json()] == expected[:100]
    assert "limit=100" in first.headers["Link"]

    last = await pages.get(first.links["next"]["url"])
    assert [r["id"] for r in last.json()] == expected[100:]
    assert "Link" not in last.headers


async def test_the_last_page_has_no_link_even_when_it_is_full(pages: Pages, api: Any, clock: Any) -> None:
    expected = await create_rotations(api, clock, ["A", "B", "C", "D"])

    listed = await pages.follow(limit=2)
    assert [len(page) for page in listed] == [2, 2]
    assert ids(listed) == expected

    whole = await pages.get("/v1/rotations", limit=4)
    assert [r["id"] for r in whole.json()] == expected
    assert "Link" not in whole.headers
    assert (await pages.get("/v1/rotations", limit=500)).json() == whole.json()


async def test_no_rotations_is_one_empty_page(pages: Pages) -> None:
    assert await pages.follow() == [[]]


async def test_pages_carry_each_rotations_own_members_and_admins(
    client: httpx.AsyncClient, pages: Pages, api: Any, clock: Any
) -> None:
    expected = await create_rotations(api, clock, ["Alpha", "Beta", "Gamma"])
    await api.add_member(expected[0], OWNER, "bob@example.com")
    await api.add_member(expected[0], OWNER, "ann@example.com")
    await api.add_member(expected[2], OWNER, "cat@example.com")
    away = {"start": "2027-01-04T00:00:00Z", "end": "2027-01-11T00:00:00Z"}
    marked = await client.post(
        f"/v1/rotations/{expected[2]}/members/cat@example.com/unavailability",
        json=away,
        headers=api.auth(OWNER),
    )
    assert marked.status_code == 201, marked.text
    granted = await client.put(
        f"/v1/rotations/{expected[1]}/admins", json=[OWNER, READER], headers=api.auth(OWNER)
    )
    assert granted.status_code == 200, granted.text

    listed = {r["id"]: r for page in await pages.follow(limit=2) for r in page}

    assert list(listed) == expected
    for rotation_id in expected:
        assert listed[rotation_id] == (await pages.get(f"/v1/rotations/{rotation_id}")).json()
    assert [m["email"] for m in listed[expected[0]]["members"]] == ["bob@example.com", "ann@example.com"]
    assert listed[expected[1]]["members"] == []
    assert listed[expected[1]]["admins"] == [OWNER, READER]
    assert listed[expected[2]]["members"][0]["unavailable"][0]["start"].startswith("2027-01-04T00:00:00")


async def test_a_page_is_read_in_the_same_few_queries_whatever_its_size_and_without_shifts(
    pages: Pages, api: Any, clock: Any, listing_container: Container
) -> None:
    rotations = await create_rotations(api, clock, [f"R{n}" for n in range(6)])
    for rotation_id in rotations:
        await api.add_member(rotation_id, OWNER, "ann@example.com")
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = listing_container.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        await pages.get("/v1/rotations", limit=1)
        small = list(statements)
        statements.clear()
        await pages.get("/v1/rotations", limit=6)
        large = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(small) == len(large) <= 4, large
    assert not [s for s in large if "shifts" in s], large


async def test_a_page_continues_where_the_last_ended_after_deletes_renames_and_creates(
    client: httpx.AsyncClient, pages: Pages, api: Any, clock: Any
) -> None:
    expected = await create_rotations(api, clock, ["A", "B", "C", "D", "E"])
    first = await pages.get("/v1/rotations", limit=2)
    assert [r["id"] for r in first.json()] == expected[:2]

    owner = api.auth(OWNER)
    assert (await client.delete(f"/v1/rotations/{expected[1]}", headers=owner)).status_code == 204
    renamed = await client.patch(f"/v1/rotations/{expected[3]}", json={"name": "0 by name"}, headers=owner)
    assert renamed.status_code == 200
    clock.now += timedelta(hours=1)
    newest = (await api.create_rotation(OWNER, name="Newest"))["id"]

    rest: list[str] = []
    response = await pages.get(first.links["next"]["url"])
    while True:
        rest += [r["id"] for r in response.json()]
        if "next" not in response.links:
            break
        response = await pages.get(response.links["next"]["url"])
    assert rest == [*expected[2:], newest]


@pytest.mark.parametrize("limit", ["0", "-1", "501", "ten", "1.5"])
async def test_a_limit_outside_1_to_500_gets_422_naming_limit(pages: Pages, limit: str) -> None:
    problem = await pages.refused(limit=limit)
    assert problem["loc"] == ["query", "limit"]
    assert problem["msg"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor!",
        _b64(b"hello"),
        _b64(b'{"created_at": "2026-12-01T12:00:00+00:00", "id": "x"}'),
        _b64(b'["2026-12-01T12:00:00", "naive-time"]'),
        _b64(b'["yesterday", "x"]'),
        "A" * 600,
    ],
)
async def test_a_cursor_the_api_did_not_issue_gets_422_naming_cursor(pages: Pages, cursor: str) -> None:
    problem = await pages.refused(cursor=cursor)
    assert problem["loc"] == ["query", "cursor"]
    assert problem["msg"].startswith("cursor ")
    assert "Link" in problem["msg"]


async def test_the_openapi_document_describes_the_paging(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/v1/rotations"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["limit"]["schema"]["maximum"] == 500
    assert parameters["limit"]["schema"]["default"] == 100
    assert "cursor" in parameters
    assert "Link" in operation["responses"]["200"]["headers"]
