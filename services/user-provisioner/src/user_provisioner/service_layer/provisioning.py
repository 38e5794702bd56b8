"""Make one member exist in one PagerDuty account, adopting an existing user instead of duplicating."""

from __future__ import annotations

from user_provisioner.domain.model import EmailAlreadyTaken, Member, PagerDutyUser, TemporaryFailure
from user_provisioner.service_layer.ports import UserDirectory


async def ensure_user(directory: UserDirectory, member: Member) -> PagerDutyUser:
    """Look the member up by e-mail; create the user when absent; adopt on "already taken".

    Never deletes or modifies an existing PagerDuty user. Raises `ProvisioningError` subclasses.
    """
    existing = await directory.find_by_email(member.email)
    if existing is not None:
        return existing
    try:
        return await directory.create(member)
    except EmailAlreadyTaken:
        # Another replica, a retried POST that had succeeded, or a person: the user exists now.
        adopted = await directory.find_by_email(member.email)
        if adopted is None:
            raise TemporaryFailure(
                f"{member.email} is taken but no user with that e-mail was found"
            ) from None
        return adopted
