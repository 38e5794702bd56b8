"""Routes: the PagerDuty integration page (set up, merge, show, candidates, delete)."""

from __future__ import annotations

from fastapi import APIRouter, status

from rotation_service.domain.model import RotationSpec
from rotation_service.entrypoints.api.auth import CurrentUser
from rotation_service.entrypoints.api.dependencies import PagerDuty
from rotation_service.entrypoints.api.schemas import (
    Account,
    Coverage,
    MergeCandidate,
    MergedRotation,
    OwnSchedule,
    PagerDutyConfig,
    PagerDutyOut,
    ScheduleStatus,
    SyncError,
    WaitingFor,
)
from rotation_service.service_layer import integrations
from rotation_service.service_layer.integrations import IntegrationView

router = APIRouter(prefix="/v1/rotations/{rotation_id}/pagerduty", tags=["pagerduty"])


def _coverage(spec: RotationSpec) -> Coverage | None:
    return Coverage(start=spec.coverage.start, end=spec.coverage.end) if spec.coverage else None


def _out(view: IntegrationView) -> PagerDutyOut:
    integration = view.integration
    synced = [s.last_synced_at for s in view.statuses if s.last_synced_at is not None]
    errors = [s for s in view.statuses if s.last_error is not None]
    last_error = None
    if errors:
        latest = max(errors, key=lambda s: (s.last_error_at is not None, s.last_error_at))
        last_error = SyncError(
            role=latest.role,
            reason=latest.last_error or "",
            retryable=latest.last_error_retryable,
            at=latest.last_error_at,
        )
    return PagerDutyOut(
        rotation_id=integration.rotation_id,
        mode=integration.mode,
        target_rotation_id=integration.target_rotation_id,
        schedule_name=integration.schedule_name,
        account=Account(subdomain=integration.account.subdomain, region=integration.account.region),
        configured_at=integration.configured_at,
        schedules=[
            ScheduleStatus(
                role=s.role,
                schedule_id=s.schedule_id,
                schedule_url=s.schedule_url,
                layer_ids=s.layer_ids,
                synced_until=s.synced_until,
                last_synced_at=s.last_synced_at,
            )
            for s in view.statuses
        ],
        last_sync=max(synced) if synced else None,
        last_error=last_error,
        waiting_for=[
            WaitingFor(
                email=person.email,
                name=person.name,
                provisioning=person.state,
                reason=person.reason,
                retryable=person.retryable,
            )
            for person in view.waiting_for
        ],
    )


@router.put("")
async def configure(
    rotation_id: str, body: PagerDutyConfig, user: CurrentUser, pagerduty: PagerDuty
) -> PagerDutyOut:
    if isinstance(body, OwnSchedule):
        request = integrations.OwnSchedule(
            subdomain=body.subdomain,
            api_key=body.api_key.get_secret_value() if body.api_key is not None else None,
            region=body.region,
            schedule_name=body.schedule_name,
        )
        return _out(await pagerduty.configure_own(rotation_id, user, request))
    return _out(await pagerduty.configure_merge(rotation_id, user, body.merge_with))


@router.get("")
async def show(rotation_id: str, user: CurrentUser, pagerduty: PagerDuty) -> PagerDutyOut:
    return _out(await pagerduty.view(rotation_id))


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def remove(rotation_id: str, user: CurrentUser, pagerduty: PagerDuty) -> None:
    await pagerduty.remove(rotation_id, user)


@router.get("/merge-candidates")
async def merge_candidates(rotation_id: str, user: CurrentUser, pagerduty: PagerDuty) -> list[MergeCandidate]:
    return [
        MergeCandidate(
            rotation_id=r.id,
            name=r.name,
            time_zone=r.spec.time_zone,
            coverage=_coverage(r.spec),
        )
        for r in await pagerduty.merge_candidates(rotation_id)
    ]


@router.get("/merges")
async def merges(rotation_id: str, user: CurrentUser, pagerduty: PagerDuty) -> list[MergedRotation]:
    """The rotations merged into this rotation's PagerDuty schedule (each writes a layer into it)."""
    return [
        MergedRotation(
            rotation_id=merged.id,
            name=merged.name,
            time_zone=merged.spec.time_zone,
            coverage=_coverage(merged.spec),
            backup=merged.spec.backup,
            admins=merged.sorted_admins,
            merged_at=integration.configured_at,
        )
        for integration, merged in await pagerduty.merges(rotation_id)
    ]


@router.delete("/merges/{merged_rotation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_merge(
    rotation_id: str, merged_rotation_id: str, user: CurrentUser, pagerduty: PagerDuty
) -> None:
    """This rotation's administrators end a merge: the merged rotation's layer leaves the schedule
    and that rotation stops syncing (its administrators may set up PagerDuty again)."""
    await pagerduty.end_merge(rotation_id, user, merged_rotation_id)
