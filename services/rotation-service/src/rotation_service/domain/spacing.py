"""Spacing: after balancing, move or trade shifts so that fewer people are on call twice in a row.

A shift's role held by someone on call next door (in the shift just before or after, in either role)
moves to a person who is off in both neighbouring shifts, or, when loads rule that out, is traded with
such a person for one of their shifts that leaves the holder off around it. Only roles that were
vacant when the run started change (they change anyway), and only while the role's loads stay within
the longest shift of each other (or no further apart than they already were). Each step removes at
least one case of being on call in consecutive shifts and creates none, so the loop ends. Same-role
back-to-backs go first; with them gone, being on call next door in the other role goes next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rotation_service.domain.drafts import Draft, Ledger, Roster, back_to_back, next_door
from rotation_service.domain.model import Role


@dataclass(frozen=True)
class _Context:
    drafts: list[Draft]
    roster: Roster
    ledgers: Mapping[Role, Ledger]
    before: Mapping[Role, str | None]
    longest_shift: int


def space_out(
    drafts: list[Draft],
    roles: tuple[Role, ...],
    roster: Roster,
    ledgers: Mapping[Role, Ledger],
    before: Mapping[Role, str | None],
) -> None:
    """Move vacant-at-start roles away from people on call next door while loads stay within bounds."""
    if not drafts:
        return
    context = _Context(drafts, roster, ledgers, before, max(draft.weight for draft in drafts))
    for same_role_only in (True, False):
        moved = True
        while moved:
            moved = False
            for index, role in ((index, role) for index in range(len(drafts)) for role in roles):
                moved = _respace(context, index, role, same_role_only) or moved


def _respace(context: _Context, index: int, role: Role, same_role_only: bool) -> bool:
    draft = context.drafts[index]
    holder = draft.people[role]
    if holder is None or draft.fixed or not draft.was_vacant(role):
        return False
    if not _too_close(context, index, role, holder, same_role_only):
        return False
    receiver = _receiver(context, index, role, holder)
    if receiver is not None:
        context.ledgers[role].give(context.drafts, index, role, receiver)
        return True
    return _exchange(context, index, role, holder)


def _too_close(context: _Context, index: int, role: Role, email: str, same_role_only: bool) -> bool:
    if back_to_back(context.drafts, index, role, email, context.before[role]):
        return True
    return not same_role_only and next_door(context.drafts, index, email, context.before)


def _receiver(context: _Context, index: int, role: Role, holder: str) -> str | None:
    """The least-loaded member who is on call in neither neighbouring shift and keeps loads in bounds."""
    draft = context.drafts[index]
    loads = context.ledgers[role].loads
    candidates = [
        email
        for email in context.roster.members
        if email != holder
        and context.roster.can_take(email, draft, role)
        and not next_door(context.drafts, index, email, context.before)
        and _keeps_balance(loads, holder, email, draft.weight, context.longest_shift)
    ]
    return min(candidates, key=lambda email: (loads[email], context.roster.rank[email]), default=None)


def _exchange(context: _Context, index: int, role: Role, holder: str) -> bool:
    """Trade the shift with someone rested for one of theirs the holder can take rested (when loads
    rule out a plain move): the same loads, one case fewer of being on call twice in a row."""
    drafts, loads = context.drafts, context.ledgers[role].loads
    bound = max(max(loads.values()) - min(loads.values()), context.longest_shift)
    weight = drafts[index].weight
    for partner in sorted(loads, key=lambda email: (loads[email], context.roster.rank[email])):
        if partner == holder or not _rested_taker(context, index, role, partner):
            continue
        rest = [load for email, load in loads.items() if email not in (holder, partner)]
        extremes = (max(rest), min(rest)) if rest else ()
        for other in reversed(list(context.ledgers[role].holdings[partner])):
            draft = drafts[other]
            if other == index or draft.fixed or role in draft.kept:
                continue
            traded = (
                *extremes,
                loads[holder] + draft.weight - weight,
                loads[partner] - draft.weight + weight,
            )
            if max(traded) - min(traded) > bound:
                continue
            if not context.roster.can_take(holder, draft, role):
                continue
            if _trade_rests_both(context, index, other, role, holder, partner):
                return True
    return False


def _trade_rests_both(
    context: _Context, index: int, other: int, role: Role, holder: str, partner: str
) -> bool:
    """Make the trade if both are then off around their new shift; leave things as they were if not."""
    drafts, ledger = context.drafts, context.ledgers[role]
    ledger.give(drafts, index, role, partner)
    ledger.give(drafts, other, role, holder)
    if _rested(context, other, holder) and _rested(context, index, partner):
        return True
    ledger.give(drafts, other, role, partner)
    ledger.give(drafts, index, role, holder)
    return False


def _rested_taker(context: _Context, index: int, role: Role, email: str) -> bool:
    return context.roster.can_take(email, context.drafts[index], role) and _rested(context, index, email)


def _rested(context: _Context, index: int, email: str) -> bool:
    return not next_door(context.drafts, index, email, context.before)


def _keeps_balance(loads: Mapping[str, int], donor: str, receiver: str, weight: int, longest: int) -> bool:
    after = dict(loads)
    after[donor] -= weight
    after[receiver] += weight
    spread_before = max(loads.values()) - min(loads.values())
    return max(after.values()) - min(after.values()) <= max(spread_before, longest)
