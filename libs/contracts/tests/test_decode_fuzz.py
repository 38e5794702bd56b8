"""Whatever arrives on a topic, decode either returns an event or raises ContractError."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall_contracts import ContractError, decode

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _decodes_or_refuses(value: bytes, headers: Mapping[str, str | bytes] | None = None) -> None:
    reason = "decoded"
    try:
        decode(value, headers)
    except ContractError as error:
        reason = error.reason
    assert reason


@settings(max_examples=100, deadline=None)
@given(value=st.binary(max_size=200))
def test_arbitrary_bytes(value: bytes) -> None:
    _decodes_or_refuses(value)


@settings(max_examples=100, deadline=None)
@given(document=json_values)
def test_arbitrary_json(document: Any) -> None:
    _decodes_or_refuses(json.dumps(document).encode())


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_golden_messages_with_one_field_replaced(data: st.DataObject) -> None:
    document = json.loads(data.draw(st.sampled_from(GOLDEN)).read_bytes())
    target = data.draw(st.sampled_from([document, document["payload"]]))
    target[data.draw(st.sampled_from(sorted(target)))] = data.draw(json_values)
    headers = data.draw(
        st.none() | st.dictionaries(st.sampled_from(["event-type", "event-version"]), st.binary())
    )

    _decodes_or_refuses(json.dumps(document).encode(), headers)


def test_deeply_nested_json_is_refused() -> None:
    with pytest.raises(ContractError, match="nested too deeply"):
        decode(b"[" * 100_000 + b"]" * 100_000)
