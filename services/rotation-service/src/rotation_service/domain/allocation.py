"""Fair and stable allocation of people to shifts up to the horizon.

The plan is repaired, not recomputed: every future assignment of `current` is kept while it is still
valid (the person is a member, is free, and does not hold the shift's other role), and only the roles
left empty are filled, shift by shift, each by the least-loaded free member (one shift more is
accepted to avoid someone being on call twice in a row). A rebalancing pass then moves shifts from
heavier to lighter members while that strictly narrows their gap (taking from a member only while
they stay within the longest shift of the heaviest, where any such move exists), and a spacing pass
moves or trades shifts away from people on call in a neighbouring shift while loads stay within the
longest shift (or no further apart than they were). Both move freely only the roles that were empty
when the run started; kept assignments move only towards the members named in `rebalance_towards`
(the aggregate names the new member on a join, and everybody on a horizon roll), latest shifts first.

Consequences (asserted by the property tests):
- started shifts never change, but the empty roles of the one in progress are filled (a rotation
  created after its first shift began gets its members later: that shift is the one on call now);
- a member leaving changes only the future shifts that member held;
- a member becoming unavailable changes only the shifts that member held during the unavailability;
- a member joining changes only shifts that the newcomer then holds, no more than their fair share;
- load is wall-clock length: with equal shifts, per-role counts differ by at most one in a fresh plan,
  after a join or a roll, and after a leave when there is no backup role (loads by at most the longest
  shift otherwise). Edits stay minimal instead, so an absence or a pin can leave loads uneven until the
  next roll, and so can a leave with a backup role (only the leaver's roles are refilled, and primary
  != backup can leave a single candidate for them).
- rest, in a fresh plan (laid out from scratch, nobody away). With shifts of equal length: nobody
  holds the same role in two consecutive shifts; with at least two people for each role a shift
  needs (2 without a backup, 4 with one) nobody is on call in two consecutive shifts at all; with 3
  people and a backup one of them must carry over each handoff, so nobody is on call for more than two
  shifts in a row. With shifts of unequal length fair hours come first, and alternating can be unfair
  (two people splitting each day into 20 h and 4 h: strict alternation gives one of them every 20 h
  shift), so the promise is weaker: someone stays on call in two consecutive shifts only where
  neither handing that shift to a person who is off in both neighbouring shifts, nor trading it with
  such a person for one of theirs (both then off around their new shift), would keep that role's
  hours within the longest shift of each other. Edits keep their changes minimal instead, so a leave
  or an absence can put someone on call twice in a row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from rotation_service.domain.balancing import rebalance
from rotation_service.domain.calendar import Slot, shift_slots
from rotation_service.domain.drafts import Draft, Ledger, Roster, back_to_back, next_door
from rotation_service.domain.model import Member, Role, RotationSpec, Shift
from rotation_service.domain.spacing import space_out


def allocate(
    spec: RotationSpec,
    members: Sequence[Member],
    current: Sequence[Shift],
    now: datetime,
    *,
    horizon_end: datetime | None = None,
    rebalance_towards: Collection[str] | None = None,
) -> list[Shift]:
    """The complete shift list, from the earliest current shift to `horizon_end`, in time order.

    Shifts of `current` that started before `now` are returned unchanged, except that the empty roles
    of the one in progress are filled (its people and its slot stay); future ones whose slot no
    longer exists (after a settings change) are dropped; slots that ended unplanned before `now` (the
    plan was not rolled for longer than the horizon) are not invented afterwards. `horizon_end`
    defaults to `now` plus the rotation's horizon. Kept assignments move to another person only to
    restore balance towards a member of `rebalance_towards` (default: members holding no shift at all
    in `current`, i.e. just joined). Deterministic: the same inputs give the same output.
    """
    end = horizon_end if horizon_end is not None else now + timedelta(days=spec.horizon_days)
    started = sorted((shift for shift in current if shift.start < now), key=lambda shift: shift.start)
    roster = Roster(members)
    running = _running_with_vacancy(spec, started, roster, now)
    if running is not None:
        started.remove(running)
    future = {shift.id: shift for shift in current if shift.start >= now}
    drafts = _drafts(spec, started, future, roster, now, end)
    if running is not None:
        drafts[0] = _running_draft(running, drafts[0].weight, spec.roles)
    welcome = _never_assigned(roster, current) if rebalance_towards is None else set(rebalance_towards)
    ledgers = {role: Ledger.of(drafts, role, roster) for role in spec.roles}
    before = {role: started[-1].person(role) if started else None for role in spec.roles}
    _fill_vacancies(drafts, spec.roles, roster, ledgers, before)
    for role in spec.roles:
        # Only the primary pass may swap a shift's two people: with few members, moving a primary
        # shift to its own backup is the only way to even primary loads out; backups are evened after.
        partner = ledgers["backup"] if role == "primary" and spec.backup else None
        rebalance(drafts, role, roster, ledgers[role], welcome, before, partner)
    space_out(drafts, spec.roles, roster, ledgers, before)
    planned = [draft.to_shift(_has_conflict(draft, spec.roles, roster)) for draft in drafts]
    return [*started, *planned]


def _drafts(
    spec: RotationSpec,
    started: list[Shift],
    future: dict[str, Shift],
    roster: Roster,
    now: datetime,
    end: datetime,
) -> list[Draft]:
    # A settings change can leave a started shift overlapping the new slots: the new ones then begin
    # where the started one ends, so coverage has neither gaps nor overlaps.
    floor = max((shift.end for shift in started), default=now)
    return [
        _draft(slot, max(slot.start, floor) if started else slot.start, future.get(slot.id), spec, roster)
        for slot in shift_slots(spec, max(now, floor), end)
    ]


def _running_with_vacancy(
    spec: RotationSpec, started: list[Shift], roster: Roster, now: datetime
) -> Shift | None:
    """The shift in progress when one of its roles is empty, members exist and its slot is unchanged:
    people expect it filled (a rotation created after its first shift began gets its members later)."""
    if not started or not roster or started[-1].end <= now:
        return None
    running = started[-1]
    if all(running.person(role) is not None for role in spec.roles):
        return None
    slots = shift_slots(spec, now, now + timedelta(microseconds=1))
    if not slots or (slots[0].id, slots[0].start, slots[0].end) != (running.id, running.start, running.end):
        return None
    return running


def _running_draft(running: Shift, weight: int, roles: tuple[Role, ...]) -> Draft:
    """The shift in progress as a draft: whoever holds a role keeps it (even after leaving: it is
    history), only its empty roles are filled."""
    people: dict[Role, str | None] = {"primary": running.primary, "backup": running.backup}
    kept = {role for role in roles if people[role] is not None}
    return Draft(running.id, running.start, running.end, weight, people, kept, running.pinned, started=True)


def _draft(slot: Slot, start: datetime, previous: Shift | None, spec: RotationSpec, roster: Roster) -> Draft:
    draft = Draft(slot.id, start, slot.end, slot.wall_clock_seconds, _nobody())
    if previous is None or (previous.start, previous.end) != (start, slot.end):
        return draft
    draft.pinned = previous.pinned
    for role in spec.roles:
        person = previous.person(role)
        if person in roster and person is not None and roster.can_take(person, draft, role):
            draft.people[role] = person
            draft.kept.add(role)
    return draft


def _nobody() -> dict[Role, str | None]:
    return {"primary": None, "backup": None}


def _never_assigned(roster: Roster, current: Iterable[Shift]) -> set[str]:
    holders = {email for shift in current for email in (shift.primary, shift.backup)}
    return {email for email in roster.members if email not in holders}


def _fill_vacancies(
    drafts: list[Draft],
    roles: tuple[Role, ...],
    roster: Roster,
    ledgers: Mapping[Role, Ledger],
    before: Mapping[Role, str | None],
) -> None:
    # Shift by shift (both roles of one shift before the next), so each choice sees who is on call
    # in the shift before in either role.
    for index, draft in enumerate(drafts):
        for role in roles:
            if draft.people[role] is None:
                chosen = _least_loaded_free(drafts, index, role, roster, ledgers[role], before)
                if chosen is not None:
                    ledgers[role].give(drafts, index, role, chosen)


def _least_loaded_free(
    drafts: list[Draft],
    index: int,
    role: Role,
    roster: Roster,
    ledger: Ledger,
    before: Mapping[Role, str | None],
) -> str | None:
    """The free member to fill a vacancy: least loaded, but one shift more is accepted to avoid a
    back-to-back (rebalancing evens that out later by moving shifts that changed anyway)."""
    draft = drafts[index]
    candidates = [email for email in roster.members if roster.can_take(email, draft, role)]
    if not candidates:
        return None
    lightest = min(ledger.loads[email] for email in candidates)
    return min(
        candidates,
        key=lambda email: (
            ledger.loads[email] > lightest + draft.weight,
            back_to_back(drafts, index, role, email, before[role]),
            next_door(drafts, index, email, before),
            ledger.loads[email],
            roster.rank[email],
        ),
    )


def _has_conflict(draft: Draft, roles: tuple[Role, ...], roster: Roster) -> bool:
    return bool(roster) and any(draft.people[role] is None for role in roles)
