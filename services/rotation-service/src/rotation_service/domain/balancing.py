"""Rebalancing: move single shifts from heavier to lighter members while that narrows the gap.

A move of a shift of weight w from a member with load a to one with load b (a - b > w) strictly lowers
the sum of squared loads, so the loop ends. Shifts that were vacant when the run started move freely
(they change anyway, so stability costs nothing); kept shifts move only to newcomers. Preferences, in
order: no back-to-back, vacant before kept, the longest shift (fewer changes for the same hours), then
the latest (near-term plans people already know about stay put).
"""

from __future__ import annotations

from dataclasses import dataclass

from rotation_service.domain.drafts import Draft, Ledger, Roster, back_to_back
from rotation_service.domain.model import Role


@dataclass(frozen=True)
class _Tier:
    moves_kept: bool
    allows_back_to_back: bool


_TIERS = (_Tier(False, False), _Tier(True, False), _Tier(False, True), _Tier(True, True))


@dataclass(frozen=True)
class _Context:
    drafts: list[Draft]
    role: Role
    roster: Roster
    ledger: Ledger
    newcomers: set[str]
    before: str | None
    lightest_shift: int


def rebalance(
    drafts: list[Draft], role: Role, roster: Roster, ledger: Ledger, newcomers: set[str], before: str | None
) -> None:
    """Move shifts of `role` until no move narrows a gap; unchanged shifts only go to `newcomers`.

    `before` is who holds `role` in the started shift just before the first draft (for back-to-back).
    """
    if not drafts:
        return
    lightest_shift = min(draft.weight for draft in drafts)
    context = _Context(drafts, role, roster, ledger, newcomers, before, lightest_shift)
    while (move := _best_move(context)) is not None:
        index, receiver = move
        ledger.give(drafts, index, role, receiver)


def _best_move(context: _Context) -> tuple[int, str] | None:
    loads, rank = context.ledger.loads, context.roster.rank
    lightest_first = sorted(loads, key=lambda email: (loads[email], rank[email]))
    heaviest_first = sorted(loads, key=lambda email: (-loads[email], rank[email]))
    for tier in _TIERS:
        for receiver in lightest_first:
            for donor in heaviest_first:
                if loads[donor] - loads[receiver] <= context.lightest_shift:
                    break
                index = _movable_shift(context, tier, donor, receiver)
                if index is not None:
                    return index, receiver
    return None


def _movable_shift(context: _Context, tier: _Tier, donor: str, receiver: str) -> int | None:
    """The donor's longest shift the receiver can take that narrows their gap; the latest among equals."""
    gap = context.ledger.loads[donor] - context.ledger.loads[receiver]
    may_move_kept = tier.moves_kept and receiver in context.newcomers
    best: int | None = None
    for index in reversed(context.ledger.holdings[donor]):
        draft = context.drafts[index]
        if draft.pinned or draft.weight >= gap:
            continue
        if best is not None and draft.weight <= context.drafts[best].weight:
            continue
        if not draft.was_vacant(context.role) and not may_move_kept:
            continue
        if not context.roster.can_take(receiver, draft, context.role):
            continue
        if not tier.allows_back_to_back and _creates_back_to_back(context, index, receiver):
            continue
        best = index
    return best


def _creates_back_to_back(context: _Context, index: int, receiver: str) -> bool:
    return back_to_back(context.drafts, index, context.role, receiver, context.before)
