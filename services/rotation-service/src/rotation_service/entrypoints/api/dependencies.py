"""FastAPI dependencies: the services bootstrap put on `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from oncall_platform.clock import Clock
from rotation_service.service_layer.pagerduty import PagerDutyService
from rotation_service.service_layer.rotations import RotationService
from rotation_service.service_layer.shift_requests import ShiftRequestService


def _rotations(request: Request) -> RotationService:
    service: RotationService = request.app.state.rotations
    return service


def _pagerduty(request: Request) -> PagerDutyService:
    service: PagerDutyService = request.app.state.pagerduty
    return service


def _shift_requests(request: Request) -> ShiftRequestService:
    service: ShiftRequestService = request.app.state.shift_requests
    return service


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


Rotations = Annotated[RotationService, Depends(_rotations)]
PagerDuty = Annotated[PagerDutyService, Depends(_pagerduty)]
ShiftRequests = Annotated[ShiftRequestService, Depends(_shift_requests)]
ClockDep = Annotated[Clock, Depends(_clock)]
