"""Working state of one allocation run: the future shifts being assigned, and who carries what load."""

from __future__ import annotations

from bisect import insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rotation_service.domain.model import Member, Role, Shift


@dataclass
class Draft:
    """A future shift (or the one in progress, `started`) under allocation.

    `kept` are the roles whose assignment in the current plan is still valid and was kept; the other
    roles were vacant when this run started (new slot, or the holder left, is away or conflicts).
    """

    id: str
    start: datetime
    end: datetime
    weight: int
    people: dict[Role, str | None]
    kept: set[Role] = field(default_factory=set)
    pinned: bool = False
    started: bool = False  # the shift in progress: its vacancies are filled, nothing else moves

    @property
    def fixed(self) -> bool:
        """Nothing in it moves to someone else (its vacancies are still filled)."""
        return self.pinned or self.started

    def was_vacant(self, role: Role) -> bool:
        return role not in self.kept

    def other(self, role: Role) -> str | None:
        return self.people["backup" if role == "primary" else "primary"]

    def to_shift(self, conflict: bool) -> Shift:
        return Shift(
            self.id,
            self.start,
            self.end,
            self.people["primary"],
            self.people["backup"],
            conflict,
            self.pinned,
        )


class Roster:
    """The active members in a deterministic order (joined first, then e-mail)."""

    def __init__(self, members: Sequence[Member]) -> None:
        ordered = sorted(members, key=lambda member: (member.joined_at, member.email))
        self.members = {member.email: member for member in ordered}
        self.rank = {email: index for index, email in enumerate(self.members)}

    def __contains__(self, email: object) -> bool:
        return email in self.members

    def __bool__(self) -> bool:
        return bool(self.members)

    def can_take(self, email: str, draft: Draft, role: Role) -> bool:
        """True when `email` is free during the draft and does not hold its other role."""
        return draft.other(role) != email and self.members[email].is_available(draft.start, draft.end)


@dataclass
class Ledger:
    """Per member: total wall-clock seconds held in one role, and the indices of the drafts held."""

    loads: dict[str, int]
    holdings: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, drafts: Sequence[Draft], role: Role, roster: Roster) -> Ledger:
        ledger = cls({email: 0 for email in roster.members}, {email: [] for email in roster.members})
        for index, draft in enumerate(drafts):
            person = draft.people[role]
            if person in ledger.loads and person is not None:  # not one who left (the shift in progress)
                ledger.loads[person] += draft.weight
                ledger.holdings[person].append(index)
        return ledger

    def give(self, drafts: Sequence[Draft], index: int, role: Role, email: str) -> None:
        """Assign draft `index` to `email` in `role`, moving the load from its previous holder."""
        draft = drafts[index]
        holder = draft.people[role]
        if holder is not None:
            self.loads[holder] -= draft.weight
            self.holdings[holder].remove(index)
        draft.people[role] = email
        self.loads[email] += draft.weight
        insort(self.holdings[email], index)


def back_to_back(drafts: Sequence[Draft], index: int, role: Role, email: str, before: str | None) -> bool:
    """True when `email` would hold `role` in the shift just before or just after draft `index`.

    `before` is who holds the role in the shift preceding the first draft (already started), if any.
    """
    previous = drafts[index - 1].people[role] if index > 0 else before
    following = drafts[index + 1].people[role] if index + 1 < len(drafts) else None
    return email in (previous, following)


def next_door(drafts: Sequence[Draft], index: int, email: str, before: Mapping[Role, str | None]) -> bool:
    """True when `email` holds any role in the shift just before or just after draft `index`."""
    previous = set(drafts[index - 1].people.values()) if index > 0 else set(before.values())
    following = set(drafts[index + 1].people.values()) if index + 1 < len(drafts) else set()
    return email in previous | following
