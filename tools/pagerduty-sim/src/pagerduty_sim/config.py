"""Reading account specifications like `SUBDOMAIN:API_KEY[:REGION]`."""

from __future__ import annotations

from dataclasses import replace

from pagerduty_sim.model.account import AccountConfig, Region


def parse_account(text: str) -> AccountConfig:
    """`acme:KEY` or `acme:KEY:eu` -> AccountConfig; raises ValueError when malformed."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"expected SUBDOMAIN:API_KEY[:REGION], got {text!r}")
    region = Region(parts[2].lower()) if len(parts) == 3 else Region.US
    return AccountConfig(subdomain=parts[0], api_key=parts[1], region=region)


def with_read_only_keys(accounts: list[AccountConfig], specs: list[str]) -> list[AccountConfig]:
    """Attach each `SUBDOMAIN:KEY` read-only key to its account."""
    result = list(accounts)
    for spec in specs:
        subdomain, _, key = spec.partition(":")
        index = next((i for i, a in enumerate(result) if a.subdomain == subdomain), None)
        if index is None or not key:
            raise ValueError(f"read-only key {spec!r} names no configured account")
        result[index] = replace(result[index], read_only_keys=(*result[index].read_only_keys, key))
    return result


def with_owners(accounts: list[AccountConfig], specs: list[str]) -> list[AccountConfig]:
    """Give each `SUBDOMAIN:EMAIL` account its owner."""
    result = list(accounts)
    for spec in specs:
        subdomain, _, email = spec.partition(":")
        index = next((i for i, a in enumerate(result) if a.subdomain == subdomain), None)
        if index is None or "@" not in email:
            raise ValueError(f"owner {spec!r} is not SUBDOMAIN:EMAIL of a configured account")
        result[index] = replace(result[index], owner_email=email)
    return result
