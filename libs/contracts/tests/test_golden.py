"""Golden v1 samples, as producers of the first release wrote them. They must always decode."""

import json
from pathlib import Path

import pytest

from oncall_contracts import CredentialSealer, IntegrationConfigured, ShiftChanged, all_events, decode

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_FILES = sorted(GOLDEN.glob("*.json"))
# The key the golden IntegrationConfigured was sealed with: a test-only key, bytes 0..31.
GOLDEN_SEALER = CredentialSealer({"golden-2025": bytes(range(32))}, active_key_id="golden-2025")


def test_every_event_version_has_a_golden_sample() -> None:
    expected = {f"{model.EVENT_TYPE}.v{model.EVENT_VERSION}.json" for model in all_events()}

    assert expected <= {path.name for path in GOLDEN_FILES}


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda path: path.stem)
def test_a_golden_sample_still_decodes(path: Path) -> None:
    value = path.read_bytes()
    document = json.loads(value)
    headers = {"event-type": document["type"], "event-version": str(document["version"])}

    envelope = decode(value, headers)

    assert f"{envelope.type}.v{envelope.version}" == path.stem
    assert str(envelope.event_id) == document["event_id"]
    assert envelope.subject == document["subject"]
    assert envelope.payload.subject() == document["subject"]


def test_the_golden_shift_keeps_its_meaning() -> None:
    shift = decode((GOLDEN / "ShiftChanged.v1.json").read_bytes()).payload

    assert isinstance(shift, ShiftChanged)
    assert (shift.revision, shift.primary, shift.backup) == (42, "ada@example.com", "bob@example.com")
    assert shift.start.isoformat() == "2025-03-03T08:00:00+00:00"


def test_the_golden_credential_still_opens() -> None:
    integration = decode((GOLDEN / "IntegrationConfigured.v1.json").read_bytes()).payload

    assert isinstance(integration, IntegrationConfigured)
    assert GOLDEN_SEALER.open(integration.credential, integration.account.key) == "u+golden-test-key"
