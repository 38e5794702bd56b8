"""The registry of event contracts: (type, version) -> payload model, plus encode and decode.

``decode`` upcasts older versions to the newest model of their type, one version at a time, with the
upcasters registered for ``(type, from_version)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import ValidationError

from oncall_contracts.envelope import Envelope, envelope_type
from oncall_contracts.errors import ContractError
from oncall_contracts.pagerduty.v1 import PAGERDUTY_EVENTS_V1
from oncall_contracts.payload import Payload
from oncall_contracts.rotation.v1 import ROTATION_EVENTS_V1

CONTENT_TYPE = "application/json"
HEADER_TYPE = "event-type"
HEADER_VERSION = "event-version"
HEADER_ID = "event-id"
HEADER_CONTENT_TYPE = "content-type"

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the JSON payload of version ``from_version`` into the JSON payload of ``from_version + 1``."""


@dataclass(frozen=True)
class EncodedEvent:
    """An event ready for Kafka: key, value and headers."""

    key: bytes
    value: bytes
    headers: dict[str, str]

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """The headers in the form aiokafka's ``send`` takes."""
        return [(name, value.encode()) for name, value in self.headers.items()]


@dataclass
class EventRegistry:
    """Known payload models and upcasters. Use ``default_registry()`` unless testing evolution."""

    _models: dict[tuple[str, int], type[Payload]] = field(default_factory=dict)
    _upcasters: dict[tuple[str, int], Upcaster] = field(default_factory=dict)

    def register(self, model: type[Payload]) -> None:
        key = (model.EVENT_TYPE, model.EVENT_VERSION)
        if key in self._models and self._models[key] is not model:
            raise ValueError(f"{key[0]} v{key[1]} is registered twice")
        self._models[key] = model

    def register_upcaster(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        self._upcasters[(event_type, from_version)] = upcaster

    def upcaster_for(self, event_type: str, from_version: int) -> Upcaster | None:
        return self._upcasters.get((event_type, from_version))

    def all_events(self) -> list[type[Payload]]:
        """Every registered model, sorted by type then version."""
        return [self._models[key] for key in sorted(self._models)]

    def model_for(self, event_type: str, version: int) -> type[Payload]:
        """The model of exactly ``(event_type, version)``; ``ContractError`` if there is none."""
        try:
            return self._models[(event_type, version)]
        except KeyError:
            raise ContractError(f"unknown event {event_type} v{version}") from None

    def latest_version(self, event_type: str) -> int:
        versions = [version for (name, version) in self._models if name == event_type]
        if not versions:
            raise ContractError(f"unknown event type {event_type!r}")
        return max(versions)

    def encode(self, envelope: Envelope[Any]) -> EncodedEvent:
        """Serialise an envelope to JSON bytes, keyed by its subject."""
        self.model_for(envelope.type, envelope.version)
        value = envelope.model_dump_json(serialize_as_any=True).encode()
        headers = {
            HEADER_TYPE: envelope.type,
            HEADER_VERSION: str(envelope.version),
            HEADER_ID: str(envelope.event_id),
            HEADER_CONTENT_TYPE: CONTENT_TYPE,
        }
        return EncodedEvent(key=envelope.subject.encode(), value=value, headers=headers)

    def decode(self, value: bytes, headers: Mapping[str, str | bytes] | None = None) -> Envelope[Any]:
        """Parse, check and upcast one message; ``ContractError`` says why when it cannot."""
        document = _parse_object(value)
        event_type, version = _type_and_version(document)
        _check_headers(headers or {}, event_type, version)
        payload, version = self._upcast(event_type, version, document.get("payload"))
        model = self.model_for(event_type, version)
        try:
            return envelope_type(model).model_validate({**document, "version": version, "payload": payload})
        except ValidationError as error:
            raise ContractError(f"invalid {event_type} v{version}: {_summary(error)}") from None

    def _upcast(self, event_type: str, version: int, payload: Any) -> tuple[Any, int]:
        latest = self.latest_version(event_type)
        if version > latest:
            raise ContractError(f"unknown version {version} of {event_type} (newest known is {latest})")
        while version < latest:
            upcaster = self.upcaster_for(event_type, version)
            if upcaster is None:
                if (event_type, version) in self._models:
                    return payload, version
                raise ContractError(f"unknown version {version} of {event_type} and no upcaster")
            if not isinstance(payload, dict):
                raise ContractError(f"{event_type} v{version} payload is not a JSON object")
            try:
                payload = upcaster(payload)
            except (KeyError, TypeError, ValueError) as error:
                raise ContractError(f"cannot upcast {event_type} v{version}: {error!r}") from None
            version += 1
        return payload, version


def _parse_object(value: bytes) -> dict[str, Any]:
    try:
        document = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContractError(f"not JSON: {error}") from None
    except RecursionError:
        raise ContractError("JSON nested too deeply") from None
    if not isinstance(document, dict):
        raise ContractError(f"not a JSON object but {type(document).__name__}")
    return document


def _type_and_version(document: dict[str, Any]) -> tuple[str, int]:
    event_type, version = document.get("type"), document.get("version")
    if not isinstance(event_type, str):
        raise ContractError("the envelope has no string 'type'")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ContractError(f"the envelope of {event_type} has no integer 'version'")
    return event_type, version


def _header_text(value: str | bytes) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _check_headers(headers: Mapping[str, str | bytes], event_type: str, version: int) -> None:
    header_type = headers.get(HEADER_TYPE)
    if header_type is not None and _header_text(header_type) != event_type:
        raise ContractError(
            f"header {HEADER_TYPE}={_header_text(header_type)!r} but the body is {event_type!r}"
        )
    header_version = headers.get(HEADER_VERSION)
    if header_version is not None and _header_text(header_version) != str(version):
        raise ContractError(
            f"header {HEADER_VERSION}={_header_text(header_version)!r} but the body is v{version}"
        )


def _summary(error: ValidationError) -> str:
    problems = (
        f"{'.'.join(str(part) for part in problem['loc']) or '<root>'}: {problem['msg']}"
        for problem in error.errors(include_url=False, include_input=False)
    )
    return "; ".join(problems)


def build_registry(models: Iterable[type[Payload]]) -> EventRegistry:
    """A registry holding ``models`` and no upcasters."""
    registry = EventRegistry()
    for model in models:
        registry.register(model)
    return registry


@cache
def default_registry() -> EventRegistry:
    """Every event of this library and its upcasters (built on first use)."""
    return build_registry((*ROTATION_EVENTS_V1, *PAGERDUTY_EVENTS_V1))


def encode(envelope: Envelope[Any]) -> EncodedEvent:
    """``default_registry().encode``."""
    return default_registry().encode(envelope)


def decode(value: bytes, headers: Mapping[str, str | bytes] | None = None) -> Envelope[Any]:
    """``default_registry().decode``."""
    return default_registry().decode(value, headers)


def model_for(event_type: str, version: int) -> type[Payload]:
    """``default_registry().model_for``."""
    return default_registry().model_for(event_type, version)


def all_events() -> list[type[Payload]]:
    """``default_registry().all_events``."""
    return default_registry().all_events()
