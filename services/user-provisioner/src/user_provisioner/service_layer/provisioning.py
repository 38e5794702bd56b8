"""Make one member exist in one PagerDuty account, adopting an existing user instead of duplicating."""

from __future__ import annotations

from user_provisioner.domain.model import EmailAlreadyTaken, Member, PagerDutyUser, TemporaryFailure
from user_provisioner.service_layer.ports import UserDirectory


async def ensure_user(directory: UserDirectory, member: Member) -> PagerDutyUser:
    """Return the prefetched user, else create it; on "already taken", look it up live and adopt it.

    Creating first costs a new user one request; a user that exists but was not prefetched costs two
    (the refused POST and the lookup). Never deletes or modifies an existing PagerDuty user. Raises
    `ProvisioningError` subclasses.
    """
    known = directory.known(member.email)
    if known is not None:
        return known
    try:
        return await directory.create(member)
    except EmailAlreadyTaken:
        # A person, another replica, or a retried POST that had succeeded: the user exists.
        return await _adopt(directory, member)


async def _adopt(directory: UserDirectory, member: Member) -> PagerDutyUser:
    existing = await directory.find_by_email(member.email)
    if existing is None:
        raise TemporaryFailure(f"{member.email} is taken but no user with that e-mail was found")
    return existing
