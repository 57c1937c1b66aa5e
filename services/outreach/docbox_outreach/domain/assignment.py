"""Who mentors whom in a round of the one-on-one outreach network.

Words: every *mentee* (each active faculty member who has not opted out,
mentors and leaders included) gets exactly one *mentor* from the round's
mentors. A pair is *allowed* unless the two are the same person or one is in
the other's *reporting line* (either direction, any number of steps up), or
the mentee asked to change the mentor they had. A mentor's *load* is the
number of their mentees.

The rules, in order of strength:

1. Every mentee gets exactly one allowed mentor, or :class:`AssignmentInfeasible`
   names who has no allowed mentor at all (one mentor and their own reports).
2. Loads are within one of each other (``N // m`` or ``N // m + 1``) whenever
   some assignment achieves it; otherwise the result says ``balanced=False``
   and the extra mentees go to the least-loaded allowed mentor.
3. A mentee keeps last round's mentor unless either asked for a change, the
   pair is no longer allowed, the mentor is not mentoring this round, or rule
   2 leaves that mentor no room.

How: loads are filled in two phases as a maximum flow. Phase one fills every
mentor up to ``N // m``, phase two gives the remaining mentees one more slot
each. Each mentee goes to last round's mentor if there is room, else to the
least-loaded allowed mentor with room (a heap); only when none has room does
it search an augmenting path (other mentees move along it to make room),
which is how a maximum flow is reached, so rule 2 fails only when no
balanced assignment exists. Mentees are taken in order: those with a mentor
to keep first, then the most constrained, then by the seed. Forbidden pairs
are stored, not allowed ones (a mentee's reporting line holds a handful of
people, while every other mentor is allowed), so the work grows with the
number of people times the depth of the reporting tree, plus a log factor
for the heap: 20,000 faculty take well under a second.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass

from .vocabulary import OptOutScope

Id = Hashable


class AssignmentInfeasible(ValueError):
    """No assignment obeys the rules; ``people`` are the mentees without any allowed mentor."""

    def __init__(self, message: str, people: Iterable[Id] = ()):
        super().__init__(message)
        self.people = tuple(people)


class SwapRefused(ValueError):
    """A swap would break a rule (the message says which)."""


@dataclass(frozen=True)
class OptOut:
    """A mentee's opt-out, from round ``round_number`` on (this round only, or until withdrawn)."""

    person: Id
    scope: OptOutScope
    round_number: int
    withdrawn: bool = False


def opted_out(opt_outs: Iterable[OptOut], round_number: int) -> set:
    """The people whose opt-out holds in round ``round_number``."""
    return {o.person for o in opt_outs if not o.withdrawn and (
        o.round_number == round_number or (o.scope == OptOutScope.FOR_GOOD and o.round_number <= round_number))}


@dataclass(frozen=True)
class Assignment:
    """One round's pairs: ``mentor_of[mentee]``; ``kept`` kept last round's mentor."""

    mentor_of: Mapping[Id, Id]
    mentors: tuple
    kept: frozenset
    balanced: bool

    def loads(self) -> dict:
        """Each mentor's number of mentees (mentors without mentees included, with 0)."""
        counts = dict.fromkeys(self.mentors, 0)
        for mentor in self.mentor_of.values():
            counts[mentor] += 1
        return counts


def ancestors(person: Id, reports_to: Mapping[Id, Id]) -> list:
    """Everyone above ``person`` in the reporting line, nearest first."""
    line, seen = [], {person}
    boss = reports_to.get(person)
    while boss is not None:
        if boss in seen:
            raise ValueError(f"reporting cycle through {boss!r}")  # the roster import refuses cycles
        seen.add(boss)
        line.append(boss)
        boss = reports_to.get(boss)
    return line


def in_line(a: Id, b: Id, reports_to: Mapping[Id, Id]) -> bool:
    """True when one of ``a`` and ``b`` is in the other's reporting line (or they are the same)."""
    return a == b or b in ancestors(a, reports_to) or a in ancestors(b, reports_to)


def swap(mentor_of: Mapping[Id, Id], a: Id, b: Id, reports_to: Mapping[Id, Id]) -> dict:
    """The pairs after mentees ``a`` and ``b`` exchange mentors (loads stay as they are)."""
    if a not in mentor_of or b not in mentor_of:
        raise SwapRefused("both people must be mentees of this round")
    new = dict(mentor_of)
    new[a], new[b] = mentor_of[b], mentor_of[a]
    for mentee in (a, b):
        if new[mentee] == mentee:
            raise SwapRefused("nobody can be their own mentor")
        if in_line(mentee, new[mentee], reports_to):
            raise SwapRefused("a mentor cannot be in their mentee's reporting line")
    return new


def choose_mentors(pool: Iterable[Id], mentees: Collection[Id], previous: Mapping[Id, Id], seed: int,
                   mentor_count: int | None = None, load: int | None = None) -> tuple:
    """The round's mentors from the willing ``pool``: all of them, ``mentor_count`` of them, or as
    many as a target ``load`` needs; last round's mentors first (their mentees keep them), then by seed."""
    pool = list(dict.fromkeys(pool))
    if mentor_count is not None and load is not None:
        raise ValueError("set the number of mentors or the load, not both")
    if load is not None:
        if load < 1:
            raise ValueError("the load must be at least 1")
        mentor_count = max(1, math.ceil(len(mentees) / load))
    if mentor_count is None:
        return tuple(pool)
    if not 1 <= mentor_count <= len(pool):
        raise AssignmentInfeasible(f"{mentor_count} mentors are needed but {len(pool)} are mentoring")
    rank = _ranks(pool, seed)
    continuing: dict = {}
    for mentee, mentor in previous.items():
        if mentee in mentees:
            continuing[mentor] = continuing.get(mentor, 0) + 1
    return tuple(sorted(pool, key=lambda p: (-continuing.get(p, 0), rank[p]))[:mentor_count])


def _ranks(people: Iterable[Id], seed: int) -> dict:
    order = sorted(people, key=repr)
    random.Random(seed).shuffle(order)
    return {p: i for i, p in enumerate(order)}


def assign(mentees: Collection[Id], mentors: Iterable[Id], reports_to: Mapping[Id, Id], *,
           previous: Mapping[Id, Id] | None = None, change_requested: Iterable[Id] = (),
           seed: int = 0) -> Assignment:
    """Pair every mentee with one of ``mentors`` (see the module docstring for the rules).

    ``reports_to`` covers the whole roster, people who left included (a line runs through them);
    ``previous`` holds last round's pairs; ``change_requested`` the mentees whose pair with last
    round's mentor was asked to change, by either of the two.
    """
    return _Assigner(mentees, tuple(dict.fromkeys(mentors)), reports_to, previous or {},
                     set(change_requested), seed).run()


class _Assigner:
    def __init__(self, mentees, mentors, reports_to, previous, change_requested, seed):
        self.mentees = sorted(set(mentees), key=repr)
        self.mentors = mentors
        if not mentors and self.mentees:
            raise AssignmentInfeasible("the round has no mentors", self.mentees)
        self.rank = _ranks(mentors, seed)
        self.forbidden = self._forbidden(reports_to, previous, change_requested)
        stuck = [x for x in self.mentees if len(self.forbidden.get(x, ())) >= len(mentors)]
        if stuck:
            raise AssignmentInfeasible(
                f"{len(stuck)} of the mentees have no possible mentor: every mentor is themself, in their "
                "reporting line, or one they asked to change", stuck)
        self.preferred = {x: p for x, p in previous.items()
                          if p in self.rank and x not in change_requested and p not in self.forbidden.get(x, ())}
        mentee_rank = _ranks(self.mentees, seed + 1)
        self.order = sorted(self.mentees, key=lambda x: (x not in self.preferred,
                                                         -len(self.forbidden.get(x, ())), mentee_rank[x]))
        self.mentor_of: dict = {}
        self.members: dict = {m: {} for m in mentors}  # dicts, not sets: their order is deterministic
        self.load = dict.fromkeys(mentors, 0)

    def _forbidden(self, reports_to, previous, change_requested) -> dict:
        """Each mentee's forbidden mentors: themself, mentors above or below them, one to change."""
        is_mentor = self.rank
        below: dict = {}  # person -> mentors anywhere under them
        for mentor in self.mentors:
            for boss in ancestors(mentor, reports_to):
                below.setdefault(boss, set()).add(mentor)
        forbidden = {}
        for x in self.mentees:
            bad = {a for a in ancestors(x, reports_to) if a in is_mentor} | below.get(x, set())
            if x in is_mentor:
                bad.add(x)
            if x in change_requested and previous.get(x) in is_mentor:
                bad.add(previous[x])
            if bad:
                forbidden[x] = bad
        return forbidden

    def run(self) -> Assignment:
        m, n = len(self.mentors), len(self.mentees)
        floor, extra = divmod(n, m) if m else (0, 0)
        deferred, rest = [], []
        self._reset()
        for x in self.order:  # phase one: everyone up to the floor
            p = self.preferred.get(x)
            if len(self.mentor_of) >= floor * m:
                rest.append(x)
            elif p is not None and self.load[p] >= floor:
                deferred.append(x)  # keeps the mentor in phase two if they get one more slot
            elif not self._place(x, floor):
                rest.append(x)
        phase_two = []
        self._reset()
        for x in deferred:
            if len(self.mentor_of) < floor * m and self._place(x, floor):
                continue
            phase_two.append(x)
        self._reset()
        leftover = [x for x in phase_two + rest if not self._place(x, floor + (1 if extra else 0))]
        for x in leftover:  # no balanced assignment exists: the least-loaded allowed mentor
            bad = self.forbidden.get(x, ())
            self._assign(x, min((p for p in self.mentors if p not in bad), key=lambda p: (self.load[p], self.rank[p])))
        loads = self.load.values()
        balanced = not loads or max(loads) - min(loads) <= 1
        if balanced:
            self._restore_pairs(floor, floor + (1 if extra else 0))
        kept = frozenset(x for x, p in self.mentor_of.items() if self.preferred.get(x) == p)
        return Assignment(dict(self.mentor_of), self.mentors, kept, balanced)

    def _restore_pairs(self, floor: int, ceil: int) -> None:
        """Give back last round's mentor where one move or one exchange does it within the loads.

        A search path may have moved a mentee off last round's mentor to make room early on,
        when a later slot would have spared it: a mentee goes back when its mentor has a slot
        to spare (and its current one stays at the floor or above), or in exchange for one of
        that mentor's mentees who is not keeping anyone and may go to the current mentor.
        """
        changed = True
        while changed:
            changed = False
            for x, p in self.preferred.items():
                c = self.mentor_of.get(x)
                if c is None or c == p:
                    continue
                if self.load[p] < ceil and self.load[c] > floor:
                    self._assign(x, p)
                    changed = True
                    continue
                for y in self.members[p]:
                    if self.preferred.get(y) != p and c not in self.forbidden.get(y, ()):
                        self._assign(y, c)
                        self._assign(x, p)
                        changed = True
                        break

    def _reset(self) -> None:
        """A new phase: a new cap, so mentors found full before may have room again."""
        self.dead: set = set()
        self.heap = [(load, self.rank[p], p) for p, load in self.load.items()]
        heapq.heapify(self.heap)

    def _assign(self, x, mentor) -> None:
        old = self.mentor_of.get(x)
        if old is not None:
            del self.members[old][x]
            self.load[old] -= 1
            heapq.heappush(self.heap, (self.load[old], self.rank[old], old))
        self.mentor_of[x] = mentor
        self.members[mentor][x] = None
        self.load[mentor] += 1
        heapq.heappush(self.heap, (self.load[mentor], self.rank[mentor], mentor))

    def _place(self, x, cap: int) -> bool:
        """Give ``x`` a mentor with fewer than ``cap`` mentees, moving others if need be."""
        bad = self.forbidden.get(x, ())
        p = self.preferred.get(x)
        if p is not None and self.load[p] < cap:
            self._assign(x, p)
            return True
        held, chosen = [], None
        while self.heap:
            load, rank, mentor = heapq.heappop(self.heap)
            if load != self.load[mentor]:
                continue  # stale entry
            held.append((load, rank, mentor))
            if load >= cap:
                break  # the least loaded is full: so is everyone
            if mentor not in bad:
                chosen = mentor
                break
        for entry in held:
            heapq.heappush(self.heap, entry)
        if chosen is not None:
            self._assign(x, chosen)
            return True
        return self._augment(x, cap)

    def _augment(self, x, cap: int) -> bool:
        """Breadth-first search for mentees to move so that ``x`` fits; False when none exists.

        Mentors visited by a failed search stay *dead* for the rest of the phase: a later
        augmentation cannot open a path from them (a path into the augmented one would have
        reached its free end before), so each mentor is searched through once per phase.
        """
        unvisited = {p: None for p in self.mentors if p not in self.dead}  # ordered, unlike a set
        via: dict = {}  # mentor -> the mentee that would move into it
        queue: deque = deque()
        end = None

        def reach_from(mentee):
            bad = self.forbidden.get(mentee, ())
            for mentor in [u for u in unvisited if u not in bad]:
                del unvisited[mentor]
                via[mentor] = mentee
                if self.load[mentor] < cap:
                    return mentor
                queue.append(mentor)
            return None

        end = reach_from(x)
        while end is None and queue:
            mentor = queue.popleft()
            # a mentee keeping last round's mentor moves last
            for y in sorted(self.members[mentor], key=lambda y: self.preferred.get(y) == mentor):
                end = reach_from(y)
                if end is not None:
                    break
        if end is None:
            self.dead |= set(via)
            return False
        while True:
            mentee = via[end]
            old = self.mentor_of.get(mentee)
            self._assign(mentee, end)
            if mentee == x:
                return True
            end = old
