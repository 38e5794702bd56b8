"""Errors the service layer raises; the API maps each to one HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    pass


class NotFound(ServiceError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class Forbidden(ServiceError):
    pass


class InvalidInput(ServiceError):
    """Input the domain or the service refuses; ``field`` names the offending request field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(ServiceError):
    """The change would break an agreement with another rotation (e.g. of a merged schedule)."""


class KeyRefused(InvalidInput):
    """PagerDuty's answers show the API key cannot serve the integration; `check` names the check that
    failed: "key" (PagerDuty does not accept it), "region", "subdomain" or "write" (read-only)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__("api_key", f"the {check} check failed: {message}")
        self.check = check


class PagerDutyUnavailable(ServiceError):
    """PagerDuty could not be asked now (rate limit, 5xx, timeout): nothing was changed; try again."""
