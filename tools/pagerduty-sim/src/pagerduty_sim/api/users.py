"""Users: create, list with `query`, get, update, delete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pagerduty_sim.api.pagination import paginate
from pagerduty_sim.api.references import links
from pagerduty_sim.errors import ApiError, invalid_input, not_found
from pagerduty_sim.model.account import Account, User
from pagerduty_sim.simulator import Simulator
from pagerduty_sim.timeutil import InvalidTimeError, zone

ROLES = frozenset(
    {"admin", "limited_user", "observer", "owner", "read_only_user", "restricted_access",
     "read_only_limited_user", "user"}
)  # fmt: skip
ROLE_ABILITIES = {
    "read_only_user": "read_only_users",
    "read_only_limited_user": "read_only_users",
    "observer": "advanced_permissions",
    "restricted_access": "advanced_permissions",
}


def user_json(account: Account, user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "type": "user",
        "summary": user.name,
        **links(account, "users", user.id),
        "name": user.name,
        "email": user.email,
        "time_zone": user.time_zone,
        "color": user.color,
        "role": user.role,
        "avatar_url": "https://secure.gravatar.com/avatar/0?d=mm",
        "description": user.description,
        "invitation_sent": False,
        "job_title": user.job_title or "",
        "created_via_sso": False,
        "teams": [],
        "contact_methods": [],
        "notification_rules": [],
    }


def create_user(sim: Simulator, account: Account, body: Mapping[str, Any], from_email: str | None) -> Any:
    """`POST /users`: 201 with the user; 400 on a duplicate e-mail (case-insensitive)."""
    if sim.config.strict_from and not _is_account_user(account, from_email):
        raise invalid_input("The From header must be the e-mail of a user in the account")
    fields = _user_fields(sim, account, body.get("user", {}), None)
    user = User(id=sim.ids.new_id(), **fields)
    account.users[user.id] = user
    return 201, {"user": user_json(account, user)}


def update_user(sim: Simulator, account: Account, user_id: str, body: Mapping[str, Any]) -> Any:
    user = _find(account, user_id)
    fields = _user_fields(sim, account, body.get("user", {}), user)
    for name, value in fields.items():
        setattr(user, name, value)
    return 200, {"user": user_json(account, user)}


def get_user(account: Account, user_id: str) -> Any:
    return 200, {"user": user_json(account, _find(account, user_id))}


def delete_user(account: Account, user_id: str) -> Any:
    _find(account, user_id)
    del account.users[user_id]
    return 204, None


def list_users(account: Account, params: Mapping[str, str]) -> Any:
    """`GET /users`: `query` matches names and e-mails, case-insensitively; creation order."""
    query = params.get("query", "").casefold()
    matching = [
        user
        for user in account.users.values()
        if query in user.name.casefold() or query in user.email.casefold()
    ]
    page, fields = paginate(matching, params)
    return 200, {"users": [user_json(account, user) for user in page], **fields}


def _find(account: Account, user_id: str) -> User:
    user = account.users.get(user_id)
    if user is None:
        raise not_found("User Not Found")
    return user


def _is_account_user(account: Account, email: str | None) -> bool:
    """A real account always has its owner; an empty simulated one accepts any From to bootstrap."""
    if not email or "@" not in email:
        return False
    return not account.users or account.user_by_email(email) is not None


def _user_fields(
    sim: Simulator, account: Account, data: Mapping[str, Any], existing: User | None
) -> dict[str, Any]:
    """Check and collect the writable fields; read-only and unknown fields are ignored."""
    current = existing or User("", "", "", account.time_zone, "user")
    email = str(data.get("email", current.email))
    name = str(data.get("name", current.name))
    holder = account.user_by_email(email)
    if holder is not None and holder is not existing:
        raise invalid_input("Email has already been taken")
    if not name or not 6 <= len(email) <= 100 or "@" not in email:
        raise invalid_input("User must have a name and a valid email")
    role = str(data.get("role", current.role))
    _check_role(sim, role)
    time_zone = str(data.get("time_zone") or current.time_zone)
    try:
        zone(time_zone)
    except InvalidTimeError as error:
        raise invalid_input(str(error)) from None
    return {
        "name": name,
        "email": email,
        "role": role,
        "time_zone": time_zone,
        "color": str(data.get("color", current.color)),
        "job_title": data.get("job_title", current.job_title),
        "description": data.get("description", current.description),
    }


def _check_role(sim: Simulator, role: str) -> None:
    if role not in ROLES:
        raise invalid_input(f"Role {role} is not valid")
    needed = ROLE_ABILITIES.get(role)
    if needed is not None and needed not in sim.config.abilities:
        raise ApiError(402, 2012, "Account does not have the abilities to perform the action", [])
