"""The envelope every event travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oncall_contracts import limits
from oncall_contracts.fields import UtcDatetime
from oncall_contracts.payload import Payload

P = TypeVar("P", bound=Payload)
Q = TypeVar("Q", bound=Payload)


class Envelope(BaseModel, Generic[P]):
    """Metadata plus one payload.

    ``event_id`` is the idempotency key: consumers de-duplicate by it. ``type``, ``version`` and
    ``subject`` always agree with the payload; build envelopes with ``Envelope.new``.
    """

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1, max_length=limits.EVENT_TYPE)
    version: int = Field(ge=1)
    occurred_at: UtcDatetime
    producer: str = Field(min_length=1, max_length=limits.PRODUCER)
    subject: str = Field(min_length=1, max_length=limits.SUBJECT)
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    payload: P

    @model_validator(mode="after")
    def _agrees_with_payload(self) -> Envelope[P]:
        payload = self.payload
        expected = (payload.EVENT_TYPE, payload.EVENT_VERSION, payload.subject())
        if (self.type, self.version, self.subject) != expected:
            raise ValueError(
                f"envelope says {self.type} v{self.version} subject {self.subject!r} but the payload is "
                f"{expected[0]} v{expected[1]} subject {expected[2]!r}"
            )
        return self

    @classmethod
    def new(
        cls,
        payload: Q,
        *,
        producer: str,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope[Q]:
        """Wrap ``payload`` in a new envelope with a fresh ``event_id``.

        ``occurred_at`` defaults to now; it must be timezone-aware and is stored in UTC.
        """
        return envelope_type(type(payload))(
            type=payload.EVENT_TYPE,
            version=payload.EVENT_VERSION,
            occurred_at=occurred_at if occurred_at is not None else datetime.now(UTC),
            producer=producer,
            subject=payload.subject(),
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload,
        )


_PARAMETRISED: dict[type[Payload], Any] = {}


def envelope_type(payload_type: type[Q]) -> type[Envelope[Q]]:
    """``Envelope[payload_type]``, built once per payload type and kept.

    pydantic caches parametrised generic models only weakly: a class nobody holds is collected, and
    the next ``Envelope[...]`` builds it again (its schema and validator: milliseconds). Payload types
    are few, so they are all kept.
    """
    found = _PARAMETRISED.get(payload_type)
    if found is None:
        found = _PARAMETRISED[payload_type] = cast(Any, Envelope)[payload_type]
    return cast("type[Envelope[Q]]", found)
