"""The base class of every event payload."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from oncall_contracts.fields import RotationId

Stream = Literal["rotation", "pagerduty"]


class Payload(BaseModel):
    """A frozen event payload.

    Subclasses set ``EVENT_TYPE`` (the name on the wire), ``EVENT_VERSION`` (the payload's major
    version) and ``STREAM`` (which topic carries it), and return their Kafka key from ``subject()``.
    Unknown fields are ignored so that consumers keep working when producers add optional fields.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    EVENT_TYPE: ClassVar[str]
    EVENT_VERSION: ClassVar[int]
    STREAM: ClassVar[Stream]

    def subject(self) -> str:
        """The aggregate id this event belongs to; the Kafka key, so order holds per subject."""
        raise NotImplementedError(f"{type(self).__name__} must define subject()")


class RotationPayload(Payload):
    """A rotation-stream payload, keyed by its rotation id."""

    STREAM: ClassVar[Stream] = "rotation"
    rotation_id: RotationId

    def subject(self) -> str:
        return self.rotation_id
