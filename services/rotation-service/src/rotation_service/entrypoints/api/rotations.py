"""Routes: rotations, members, unavailability, admins."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from rotation_service.domain.errors import UnknownMember
from rotation_service.entrypoints.api.auth import CurrentUser
from rotation_service.entrypoints.api.dependencies import Rotations
from rotation_service.entrypoints.api.paging import (
    DEFAULT_PAGE_SIZE,
    NEXT_LINK_HEADER,
    After,
    PageSize,
    next_link,
)
from rotation_service.entrypoints.api.schemas import (
    MemberCreate,
    MemberOut,
    RotationCreate,
    RotationOut,
    RotationPatch,
    Span,
)

router = APIRouter(prefix="/v1/rotations", tags=["rotations"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_rotation(body: RotationCreate, user: CurrentUser, rotations: Rotations) -> RotationOut:
    return RotationOut.of(await rotations.create(user, body.name, body.spec()))


@router.get("", responses={200: {"headers": NEXT_LINK_HEADER}})
async def list_rotations(
    request: Request,
    response: Response,
    user: CurrentUser,
    rotations: Rotations,
    after: After,
    limit: PageSize = DEFAULT_PAGE_SIZE,
) -> list[RotationOut]:
    """Rotations in creation order, `limit` at a time. While more follow, the `Link` header holds the
    next page's URL (`rel="next"`); the last page has none."""
    page = await rotations.page(after, limit)
    if page.next is not None:
        response.headers["Link"] = next_link(request.url, page.next, limit)
    return [RotationOut.of(r) for r in page.rotations]


@router.get("/{rotation_id}")
async def get_rotation(rotation_id: str, user: CurrentUser, rotations: Rotations) -> RotationOut:
    return RotationOut.of(await rotations.overview(rotation_id))


@router.patch("/{rotation_id}")
async def update_rotation(
    rotation_id: str, body: RotationPatch, user: CurrentUser, rotations: Rotations
) -> RotationOut:
    updated = await rotations.update(rotation_id, user, body.name, body.spec)
    return RotationOut.of(updated)


@router.delete("/{rotation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rotation(rotation_id: str, user: CurrentUser, rotations: Rotations) -> None:
    await rotations.delete(rotation_id, user)


@router.post("/{rotation_id}/members", status_code=status.HTTP_201_CREATED)
async def add_member(
    rotation_id: str, body: MemberCreate, user: CurrentUser, rotations: Rotations
) -> MemberOut:
    return MemberOut.of(await rotations.add_member(rotation_id, user, body.email, body.name, body.time_zone))


@router.get("/{rotation_id}/members")
async def list_members(rotation_id: str, user: CurrentUser, rotations: Rotations) -> list[MemberOut]:
    return [MemberOut.of(m) for m in (await rotations.overview(rotation_id)).members.values()]


@router.delete("/{rotation_id}/members/{email}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(rotation_id: str, email: str, user: CurrentUser, rotations: Rotations) -> None:
    try:
        await rotations.remove_member(rotation_id, user, email)
    except UnknownMember as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.post("/{rotation_id}/members/{email}/unavailability", status_code=status.HTTP_201_CREATED)
async def add_unavailability(
    rotation_id: str, email: str, body: Span, user: CurrentUser, rotations: Rotations
) -> MemberOut:
    try:
        member = await rotations.add_unavailability(rotation_id, user, email, body.start, body.end)
    except UnknownMember as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    return MemberOut.of(member)


@router.get("/{rotation_id}/admins")
async def get_admins(rotation_id: str, user: CurrentUser, rotations: Rotations) -> list[str]:
    return sorted((await rotations.overview(rotation_id)).admins)


@router.put("/{rotation_id}/admins")
async def set_admins(rotation_id: str, body: list[str], user: CurrentUser, rotations: Rotations) -> list[str]:
    return sorted(await rotations.set_admins(rotation_id, user, body))
