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
    # Per draft, what no move changes: (weight, fixed, the role was kept); read in the hottest loop.
    statics: list[tuple[int, bool, bool]]


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
    statics = [(draft.weight, draft.fixed, role in draft.kept) for draft in drafts]
    context = _Context(
        drafts, role, roster, ledger, newcomers, before, min(weights), max(weights), partner, statics
    )
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
    for position, tier in enumerate(_TIERS):
        for receiver in lightest_first:
            for donor in heaviest_first:
                if loads[donor] - loads[receiver] <= context.lightest_shift:
                    break
                heaviest_other = heaviest_first[1] if donor == heaviest_first[0] else heaviest_first[0]
                rules = [
                    _Rules.of(context, t, donor, receiver, heaviest_other) for t in _TIERS[: position + 1]
                ]
                if rules[-1] in rules[:-1]:
                    continue  # an earlier tier already searched the same moves for this pair
                move = _movable_shift(context, tier, donor, receiver, rules[-1].heaviest)
                if move is not None:
                    return move
    return None


@dataclass(frozen=True)
class _Rules:
    """What a tier allows for one donor and receiver: two tiers with equal rules find the same moves."""

    moves_kept: bool
    allows_back_to_back: bool
    heaviest: int

    @classmethod
    def of(cls, context: _Context, tier: _Tier, donor: str, receiver: str, heaviest_other: str) -> _Rules:
        loads, longest = context.ledger.loads, context.longest_shift
        gap = loads[donor] - loads[receiver]
        heaviest = min(gap - 1, longest)  # a move must narrow the gap
        if not tier.may_leave_donor_short:
            heaviest = min(heaviest, loads[donor] - loads[heaviest_other] + longest)
        return cls(
            tier.moves_kept and (receiver in context.newcomers or donor in context.newcomers),
            # A back-to-back is accepted only to keep the fairness bound (gap within the longest shift).
            tier.allows_back_to_back and gap > longest,
            heaviest,
        )


def _movable_shift(context: _Context, tier: _Tier, donor: str, receiver: str, heaviest: int) -> _Move | None:
    """The donor's longest shift, up to `heaviest` seconds, the receiver can take; the latest among
    equals."""
    gap = context.ledger.loads[donor] - context.ledger.loads[receiver]
    allows_back_to_back = tier.allows_back_to_back and gap > context.longest_shift
    takes_kept = tier.moves_kept and receiver in context.newcomers
    best: _Move | None = None
    best_weight = 0
    for index in reversed(context.ledger.holdings[donor]):
        weight, fixed, kept = context.statics[index]
        if weight > heaviest or weight <= best_weight or fixed or (kept and not takes_kept):
            continue  # the last: as _may_change
        draft = context.drafts[index]
        swaps_roles = _needs_role_swap(context, tier, draft, donor, receiver)
        if not swaps_roles and not context.roster.can_take(receiver, draft, context.role):
            continue
        if not allows_back_to_back and _creates_back_to_back(context, index, donor, receiver, swaps_roles):
            continue
        best, best_weight = _Move(index, receiver, swaps_roles), draft.weight
        if best_weight == heaviest:
            break
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
