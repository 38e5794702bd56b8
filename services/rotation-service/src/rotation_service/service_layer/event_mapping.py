"""Maps domain events to the published `oncall_contracts` rotation events (v1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from oncall_contracts.envelope import Envelope
from oncall_contracts.payload import Payload
from oncall_contracts.rotation import v1
from oncall_contracts.values import CoverageWindow
from rotation_service.domain import events
from rotation_service.domain.events import DomainEvent
from rotation_service.domain.model import RotationSpec
from rotation_service.domain.shift_requests import ShiftRequest

PRODUCER = "rotation-service"


def contract_coverage(spec: RotationSpec) -> CoverageWindow | None:
    if spec.coverage is None:
        return None
    return CoverageWindow(start=spec.coverage.start, end=spec.coverage.end)


def _settings(rotation_id: str, name: str, spec: RotationSpec) -> dict[str, Any]:
    return {
        "rotation_id": rotation_id,
        "name": name,
        "time_zone": spec.time_zone,
        "period": spec.period,
        "first_shift_start": spec.first_shift_start,
        "handoffs": list(spec.handoffs),
        "coverage": contract_coverage(spec),
        "backup": spec.backup,
        "horizon_days": spec.horizon_days,
    }


def to_payload(event: DomainEvent) -> Payload | None:
    """The contract payload for `event`, or None for domain events other services do not need."""
    match event:
        case events.RotationCreated(rotation_id=rid, name=name, spec=spec):
            return v1.RotationCreated(**_settings(rid, name, spec))
        case events.RotationUpdated(rotation_id=rid, name=name, spec=spec):
            return v1.RotationUpdated(**_settings(rid, name, spec))
        case events.RotationDeleted(rotation_id=rid):
            return v1.RotationDeleted(rotation_id=rid)
        case events.MemberAdded(rotation_id=rid, member=member):
            return v1.MemberAdded(
                rotation_id=rid, email=member.email, name=member.name, time_zone=member.time_zone
            )
        case events.MemberRemoved(rotation_id=rid, email=email):
            return v1.MemberRemoved(rotation_id=rid, email=email)
        case events.ShiftAssignmentChanged(
            rotation_id=rid, shift=shift, revision=revision, cancelled=cancelled
        ):
            return v1.ShiftChanged(
                rotation_id=rid,
                shift_id=shift.id,
                revision=revision,
                start=shift.start,
                end=shift.end,
                primary=shift.primary,
                backup=shift.backup,
                cancelled=cancelled,
                conflict=shift.conflict,
            )
    return None  # UnavailabilityAdded: private; its effect travels as ShiftChanged


def envelopes(
    payloads: Iterable[Payload], now: datetime, correlation_id: uuid.UUID | None = None
) -> list[Envelope[Any]]:
    return [
        Envelope.new(payload, producer=PRODUCER, occurred_at=now, correlation_id=correlation_id)
        for payload in payloads
    ]


def domain_envelopes(
    domain_events: Iterable[DomainEvent], now: datetime, correlation_id: uuid.UUID | None = None
) -> list[Envelope[Any]]:
    payloads = [p for p in (to_payload(e) for e in domain_events) if p is not None]
    return envelopes(payloads, now, correlation_id)


_REQUEST_EVENTS: dict[str, type[Payload]] = {
    "pending": v1.ShiftRequested,
    "accepted": v1.ShiftRequestAccepted,
    "declined": v1.ShiftRequestDeclined,
    "cancelled": v1.ShiftRequestCancelled,
    "expired": v1.ShiftRequestExpired,
}


def request_payload(request: ShiftRequest) -> Payload:
    """The event that reports `request` in its current state (ShiftRequested while pending)."""
    fields: dict[str, Any] = {
        "rotation_id": request.rotation_id,
        "request_id": request.id,
        "kind": request.kind,
        "shift_id": request.shift_id,
        "other_shift_id": request.other_shift_id,
        "role": request.role,
        "requested_by": request.requested_by,
        "requested_of": request.requested_of,
        "expires_at": request.expires_at,
    }
    if request.decided_by is not None:
        fields |= {"decided_by": request.decided_by, "forced": request.forced}
    return _REQUEST_EVENTS[request.state].model_validate(fields)
