"""Errors the domain raises; the service layer maps them to HTTP statuses (422, 404, 409, 403)."""


class DomainError(Exception):
    """Base class of every error the rotation domain raises."""


class InvalidRotation(DomainError):
    """A value is invalid; `field` names the input that is wrong, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownMember(DomainError):
    """The e-mail does not belong to a member of the rotation."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is not a member of this rotation")
        self.email = email


class DuplicateMember(DomainError):
    """The e-mail already belongs to a member of the rotation."""

    def __init__(self, email: str) -> None:
        super().__init__(f"{email} is already a member of this rotation")
        self.email = email


class UnknownShift(DomainError):
    """No shift with this id exists in the rotation."""

    def __init__(self, shift_id: str) -> None:
        super().__init__(f"no shift {shift_id} in this rotation")
        self.shift_id = shift_id


class NotAllowed(DomainError):
    """The command is well-formed but breaks a rule (past shift, deleted rotation, ...)."""


class NotYours(DomainError):
    """The person may not do this: not their shift role, not their request to decide."""


class RequestClosed(DomainError):
    """The shift request was decided, expired, or the shifts it names changed hands since."""
