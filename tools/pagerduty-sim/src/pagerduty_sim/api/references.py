"""Object and reference JSON shared by every resource."""

from __future__ import annotations

from typing import Any

from pagerduty_sim.model.account import Account


def links(account: Account, collection: str, object_id: str) -> dict[str, str]:
    """`self` on the API host of the account's region, `html_url` on its web subdomain."""
    return {
        "self": f"{account.config.api_base}/{collection}/{object_id}",
        "html_url": f"{account.config.web_base}/{collection}/{object_id}",
    }


def user_reference(account: Account, user_id: str) -> dict[str, Any]:
    user = account.users.get(user_id)
    summary = user.name if user else "Deleted User"
    return {"id": user_id, "type": "user_reference", "summary": summary, **links(account, "users", user_id)}
