from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from simulated_pagerduty import ACME_KEY, ACME_READ_ONLY_KEY
from sqlalchemy import text

from oncall_contracts.topics import Topics
from rotation_service.adapters.tables import Table
from rotation_service.bootstrap import Container

pytestmark = pytest.mark.integration

OWNER = "owner@example.com"
API_KEY = ACME_KEY
MADE_UP_KEY = "u+made-up-key-0123456789"
EUROPE = {"start": "08:00", "end": "16:00"}
AMERICAS = {"start": "16:00", "end": "00:00"}


async def own(client: httpx.AsyncClient, api: Any, rotation_id: str, actor: str = OWNER) -> httpx.Response:
    body = {"mode": "own", "subdomain": "acme", "api_key": API_KEY, "region": "eu"}
    return await client.put(f"/v1/rotations/{rotation_id}/pagerduty", json=body, headers=api.auth(actor))


def span_text(span: ReadableSpan) -> str:
    events = [(event.name, dict(event.attributes or {})) for event in span.events]
    return f"{span.name} {dict(span.attributes or {})!r} {events!r} {span.status.description!r}"


async def test_own_schedule_is_configured_and_shown_without_the_key(
    client: httpx.AsyncClient,
    api: Any,
    container: Container,
    relayed: Any,
) -> None:
    rotation = await api.create_rotation(OWNER, name="Payments")
    response = await own(client, api, rotation["id"])
    assert response.status_code == 200, response.text
    shown = (
        await client.get(f"/v1/rotations/{rotation['id']}/pagerduty", headers=api.auth("x@example.com"))
    ).json()
    assert shown["mode"] == "own"
    assert shown["schedule_name"] == "Payments"
    assert shown["account"] == {"subdomain": "acme", "region": "eu"}
    assert shown["last_sync"] is None
    assert shown["last_error"] is None

    events = await relayed()
    [configured] = [e.payload for e in events if e.type == "IntegrationConfigured"]
    assert configured.target_rotation_id == rotation["id"]
    assert (
        container.settings.credential_sealer().open(configured.credential, configured.account.key) == API_KEY
    )


async def test_only_admins_configure_and_bad_input_is_422(client: httpx.AsyncClient, api: Any) -> None:
    rotation = await api.create_rotation(OWNER)
    assert (await own(client, api, rotation["id"], actor="intruder@example.com")).status_code == 403
    bad = {"mode": "own", "subdomain": "not a subdomain!", "api_key": API_KEY}
    response = await client.put(
        f"/v1/rotations/{rotation['id']}/pagerduty", json=bad, headers=api.auth(OWNER)
    )
    assert response.status_code == 422
    assert API_KEY not in response.text
    assert any(error["loc"][-1] == "subdomain" for error in response.json()["detail"])
    missing = await client.put(
        f"/v1/rotations/{rotation['id']}/pagerduty",
        json={"mode": "merge", "merge_with": "nope"},
        headers=api.auth(OWNER),
    )
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "merge_with"


async def test_merge_follows_the_target_and_refuses_overlap(
    client: httpx.AsyncClient,
    api: Any,
    relayed: Any,
) -> None:
    europe = await api.create_rotation(OWNER, name="EU", time_zone="UTC", coverage=EUROPE)
    americas = await api.create_rotation(OWNER, name="AM", time_zone="UTC", coverage=AMERICAS)
    overlapping = await api.create_rotation(
        OWNER, name="Late EU", time_zone="UTC", coverage={"start": "12:00", "end": "18:00"}
    )
    assert (await own(client, api, europe["id"])).status_code == 200

    candidates = await client.get(
        f"/v1/rotations/{americas['id']}/pagerduty/merge-candidates", headers=api.auth(OWNER)
    )
    assert [c["rotation_id"] for c in candidates.json()] == [europe["id"]]
    none = await client.get(
        f"/v1/rotations/{overlapping['id']}/pagerduty/merge-candidates", headers=api.auth(OWNER)
    )
    assert none.json() == []

    merge = {"mode": "merge", "merge_with": europe["id"]}
    refused = await client.put(
        f"/v1/rotations/{overlapping['id']}/pagerduty", json=merge, headers=api.auth(OWNER)
    )
    assert refused.status_code == 422
    assert "overlap" in refused.json()["detail"][0]["msg"]
    merged = await client.put(
        f"/v1/rotations/{americas['id']}/pagerduty", json=merge, headers=api.auth(OWNER)
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["target_rotation_id"] == europe["id"]

    renamed = await client.patch(
        f"/v1/rotations/{europe['id']}", json={"time_zone": "Europe/Paris"}, headers=api.auth(OWNER)
    )
    assert renamed.status_code == 200
    events = await relayed()
    configured = [e.payload for e in events if e.type == "IntegrationConfigured"]
    for_americas = [c for c in configured if c.rotation_id == americas["id"]]
    assert [c.schedule_time_zone for c in for_americas] == ["UTC", "Europe/Paris"]
    assert [c.revision for c in for_americas] == [1, 2]
    assert all(c.mode == "merge" and c.credential == configured[0].credential for c in for_americas)

    assert (
        await client.delete(f"/v1/rotations/{europe['id']}/pagerduty", headers=api.auth(OWNER))
    ).status_code == 204
    gone = await client.get(f"/v1/rotations/{americas['id']}/pagerduty", headers=api.auth(OWNER))
    assert gone.status_code == 404
    events = await relayed()
    assert {e.payload.rotation_id for e in events if e.type == "IntegrationRemoved"} == {
        europe["id"],
        americas["id"],
    }


async def test_the_api_key_never_appears_in_plaintext(
    client: httpx.AsyncClient,
    api: Any,
    container: Container,
    topics: Topics,
    kafka_bootstrap_servers: str,
    read_events: Any,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    rotation = await api.create_rotation(OWNER)
    responses = [await own(client, api, rotation["id"])]
    responses.append(await client.get(f"/v1/rotations/{rotation['id']}/pagerduty", headers=api.auth(OWNER)))
    responses.append(await client.get(f"/v1/rotations/{rotation['id']}", headers=api.auth(OWNER)))
    bad = {"mode": "own", "subdomain": "acme", "api_key": API_KEY, "region": "mars"}
    responses.append(
        await client.put(f"/v1/rotations/{rotation['id']}/pagerduty", json=bad, headers=api.auth(OWNER))
    )
    refused_keys = [ACME_READ_ONLY_KEY, MADE_UP_KEY]  # checked against PagerDuty, then refused
    for key in refused_keys:
        body = {"mode": "own", "subdomain": "acme", "api_key": key, "region": "eu"}
        responses.append(
            await client.put(f"/v1/rotations/{rotation['id']}/pagerduty", json=body, headers=api.auth(OWNER))
        )
    assert [r.status_code for r in responses] == [200, 200, 200, 422, 422, 422]
    checks = [span.name for span in span_exporter.get_finished_spans() if span.kind.name == "CLIENT"]
    assert "POST /schedules/preview" in checks, "the keys were checked against PagerDuty"
    for key in refused_keys:
        assert key not in caplog.text
        assert all(key.encode() not in r.content for r in responses)
        assert all(key not in span_text(span) for span in span_exporter.get_finished_spans())
    await container.relay.publish_pending()
    records = await read_events(kafka_bootstrap_servers, topics.rotation, at_least=2)

    needle = API_KEY.encode()
    assert all(needle not in r.content for r in responses)
    assert any(b"IntegrationConfigured" in r.value for r in records)
    assert all(needle not in r.value and all(needle not in v for _, v in r.headers) for r in records)
    assert caplog.records
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
    assert API_KEY not in caplog.text
    spans = span_exporter.get_finished_spans()
    assert spans
    assert any(span.kind.name == "SERVER" and "pagerduty" in span.name for span in spans)
    assert all(API_KEY not in span_text(span) for span in spans)
    async with container.engine.connect() as connection:
        for table in Table.metadata.sorted_tables:
            rows = (await connection.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            assert all(API_KEY not in repr(row) and needle not in repr(row).encode() for row in rows), (
                table.name
            )


async def test_a_saved_key_is_kept_when_the_change_leaves_it_empty(
    client: httpx.AsyncClient,
    api: Any,
    container: Container,
    relayed: Any,
) -> None:
    rotation = await api.create_rotation(OWNER, name="Payments")
    path = f"/v1/rotations/{rotation['id']}/pagerduty"
    first_without_key = {"mode": "own", "subdomain": "acme", "region": "eu"}
    refused = await client.put(path, json=first_without_key, headers=api.auth(OWNER))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "api_key"
    assert (await own(client, api, rotation["id"])).status_code == 200

    renamed = {"mode": "own", "subdomain": "acme", "region": "eu", "schedule_name": "Payments on call"}
    response = await client.put(path, json=renamed, headers=api.auth(OWNER))
    assert response.status_code == 200, response.text
    assert response.json()["schedule_name"] == "Payments on call"
    events = await relayed()
    [*_, latest] = [e.payload for e in events if e.type == "IntegrationConfigured"]
    assert latest.schedule_name == "Payments on call"
    assert container.settings.credential_sealer().open(latest.credential, latest.account.key) == API_KEY

    other_account = {"mode": "own", "subdomain": "elsewhere", "region": "eu"}
    moved = await client.put(path, json=other_account, headers=api.auth(OWNER))
    assert moved.status_code == 422, "a saved key is bound to its account"
    assert moved.json()["detail"][0]["loc"][-1] == "api_key"
