"""Rebalancing: move single shifts from heavier to lighter members while that narrows the gap.

A move of a shift of weight w from a member with load a to one with load b (a - b > w) strictly lowers
the sum of squared loads, so the loop ends. Shifts that were vacant when the run started move freely
(they change anyway, so stability costs nothing); kept shifts move only to newcomers. Preferences, in
order: the donor stays within the longest shift of the heaviest member (kept shifts only move to
newcomers, so a donor left short of the others would stay short), no back-to-back, vacant before
kept, the longest shift (fewer changes for the same hours), then the latest (near-term plans people
already know about stay put).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rotation_service.domain.drafts import Draft, Ledger, Roster, back_to_back
from rotation_service.domain.model import Role


@dataclass(frozen=True)
class _Tier:
    moves_kept: bool
    allows_back_to_back: bool
    may_leave_donor_short: bool = False


_TIERS = (
    _Tier(False, False),
    _Tier(True, False),
    _Tier(False, True),
    _Tier(True, True),
    _Tier(True, True, may_leave_donor_short=True),
)


@dataclass(frozen=True)
class _Context:
    drafts: list[Draft]
    role: Role
    roster: Roster
    ledger: Ledger
    newcomers: set[str]
    before: Mapping[Role, str | None]
    lightest_shift: int
    longest_shift: int
    partner: Ledger | None


@dataclass(frozen=True)
class _Move:
    index: int
    receiver: str
    swaps_roles: bool


def rebalance(
    drafts: list[Draft],
    role: Role,
    roster: Roster,
    ledger: Ledger,
    newcomers: set[str],
    before: Mapping[Role, str | None],
    partner: Ledger | None = None,
) -> None:
    """Move shifts of `role` until no move narrows a gap; kept shifts only go to `newcomers`.

    `before` is who holds each role in the started shift just before the first draft (for
    back-to-back).
    With a `partner` (the ledger of the other role), a shift may also move to its own holder of the
    other role, the two people swapping roles.
    """
    if not drafts:
        return
    weights = [draft.weight for draft in drafts]
    context = _Context(drafts, role, roster, ledger, newcomers, before, min(weights), max(weights), partner)
    while (move := _best_move(context)) is not None:
        donor = drafts[move.index].people[role]
        ledger.give(drafts, move.index, role, move.receiver)
        if move.swaps_roles and partner is not None and donor is not None:
            partner.give(drafts, move.index, _other(role), donor)


def _other(role: Role) -> Role:
    return "backup" if role == "primary" else "primary"


def _best_move(context: _Context) -> _Move | None:
    loads, rank = context.ledger.loads, context.roster.rank
    lightest_first = sorted(loads, key=lambda email: (loads[email], rank[email]))
    heaviest_first = sorted(loads, key=lambda email: (-loads[email], rank[email]))
    for tier in _TIERS:
        for receiver in lightest_first:
            for donor in heaviest_first:
                if loads[donor] - loads[receiver] <= context.lightest_shift:
                    break
                heaviest_other = next(email for email in heaviest_first if email != donor)
                floor = None if tier.may_leave_donor_short else loads[heaviest_other] - context.longest_shift
                move = _movable_shift(context, tier, donor, receiver, floor)
                if move is not None:
                    return move
    return None


def _movable_shift(
    context: _Context, tier: _Tier, donor: str, receiver: str, floor: int | None
) -> _Move | None:
    """The donor's longest shift the receiver can take that narrows their gap; the latest among equals.

    With a `floor`, the donor must keep at least that load (and the receiver stay below that plus
    the longest shift)."""
    loads = context.ledger.loads
    gap = loads[donor] - loads[receiver]
    best: _Move | None = None
    best_weight = 0
    for index in reversed(context.ledger.holdings[donor]):
        draft = context.drafts[index]
        if draft.fixed or draft.weight >= gap or draft.weight <= best_weight:
            continue
        if floor is not None and loads[donor] - draft.weight < max(
            floor, loads[receiver] + draft.weight - context.longest_shift
        ):
            continue
        if not _may_change(context, tier, draft, context.role, receiver):
            continue
        swaps_roles = _needs_role_swap(context, tier, draft, donor, receiver)
        if not swaps_roles and not context.roster.can_take(receiver, draft, context.role):
            continue
        # A back-to-back is accepted only to keep the fairness bound (gap within the longest shift).
        allows_back_to_back = tier.allows_back_to_back and gap > context.longest_shift
        if not allows_back_to_back and _creates_back_to_back(context, index, donor, receiver, swaps_roles):
            continue
        best, best_weight = _Move(index, receiver, swaps_roles), draft.weight
    return best


def _may_change(context: _Context, tier: _Tier, draft: Draft, role: Role, receiver: str) -> bool:
    return draft.was_vacant(role) or (tier.moves_kept and receiver in context.newcomers)


def _needs_role_swap(context: _Context, tier: _Tier, draft: Draft, donor: str, receiver: str) -> bool:
    """True when the receiver holds the shift's other role and may trade it with the donor."""
    other = _other(context.role)
    return (
        context.partner is not None
        and draft.people[other] == receiver
        and _may_change(context, tier, draft, other, donor)
    )


def _creates_back_to_back(
    context: _Context, index: int, donor: str, receiver: str, swaps_roles: bool
) -> bool:
    """True when the receiver would hold the role next to a shift it already holds, or, in a role
    swap, the donor the other role."""
    if back_to_back(context.drafts, index, context.role, receiver, context.before[context.role]):
        return True
    other = _other(context.role)
    return swaps_roles and back_to_back(context.drafts, index, other, donor, context.before[other])
