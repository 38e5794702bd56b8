"""oncall_pagerduty: an async PagerDuty REST API v2 client shared by the sync and the provisioner.

>>> async with PagerDutyClient(api_key, region="eu", from_email="admin@example.com") as pd:
...     async for user in pd.paginate("/users", "users", {"query": "ada@"}):
...         ...
"""

from oncall_pagerduty.budget import BudgetRegistry, RequestBudget, key_fingerprint, process_budgets
from oncall_pagerduty.client import BASE_URLS, PagerDutyClient, Region
from oncall_pagerduty.errors import (
    AuthenticationError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PagerDutyError,
    PaymentRequiredError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from oncall_pagerduty.pool import ClientPool
from oncall_pagerduty.retry import RetryPolicy

__all__ = [
    "BASE_URLS",
    "AuthenticationError",
    "BudgetRegistry",
    "ClientPool",
    "ForbiddenError",
    "InvalidInputError",
    "NotFoundError",
    "PagerDutyClient",
    "PagerDutyError",
    "PaymentRequiredError",
    "RateLimitedError",
    "Region",
    "RequestBudget",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "key_fingerprint",
    "process_budgets",
]
