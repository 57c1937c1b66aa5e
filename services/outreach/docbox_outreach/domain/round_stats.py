"""What a round of the outreach network came to: the coordinator's exact report and the viewers' release.

Words: a mentee is *attempted* when their mentor logged at least one attempt
of any outcome, *reached* when at least one attempt came to "reached",
*declined* / *follow-up* when at least one came to "declined" / "follow-up
requested". *Opted out* means the mentee opted out during the round.
"Without opt-outs" leaves opted-out mentees out of both sides of a rate.
Days are counted from the day the round opened (day 0).

The input is plain rows (the assignment and the attempts); no row carries
anything but people's ids, a date, a channel and an outcome, because the
program records nothing else.

Viewers (department leadership) see :func:`viewer_release`: the round's counts
with small numbers withheld, jointly, through the kit's statistics suppression
(:func:`docbox_shared.suppression.suppress`): every count is the sum of
*cells*, the mentees grouped by everything the counts tell apart (opted out,
attempted, reached, declined, follow-up, week of first reach), so a withheld
count can be bounded from any combination of published ones. Counts of the
mentees *not* in a group are numbers too: "39 of 40 reached" would tell "one
was not". Viewers get no per-mentor rows (a mentor's small list is a handful
of named colleagues) and no day-by-day chart (one reach a day is one person):
reach is released by week. Viewers are never shown a round's number of mentees, nor a rate over it
(:func:`..oneonone.reports.viewer_rows`): leadership knows the headcount at each opening and a member
opted out for good is in no later round, so round sizes would tell the withheld opt-outs of the rounds
before by differencing. The suppression counts "assigned" as known all the same (in a first round the
headcount is the size) and never withholds it to protect another number. Viewers see closed rounds only: an open round's
numbers change daily, and two looks a day apart would tell one mentee's news.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from docbox_shared.suppression import suppress

from .vocabulary import AttemptOutcome, Channel

FLAGS = ("opted_out", "attempted", "reached", "declined", "follow_up")


@dataclass(frozen=True)
class Attempt:
    """One logged attempt: who, on which day, how, and what it came to. Nothing else exists."""

    mentee: Hashable
    mentor: Hashable
    day: date
    channel: Channel
    outcome: AttemptOutcome


@dataclass(frozen=True)
class RoundFacts:
    """A round as the reports see it: its dates, pairs, attempts and opt-outs during the round."""

    opened_on: date
    due_on: date
    mentor_of: Mapping[Hashable, Hashable]
    attempts: Sequence[Attempt]
    opted_out: Collection[Hashable] = ()


@dataclass(frozen=True)
class MentorRow:
    """One mentor's load and how far they got (coordinator only)."""

    mentor: Hashable
    load: int
    attempted: int
    reached: int

    @property
    def completion(self) -> float | None:
        """Share of the mentor's mentees reached (the mentor's reminder lists the others)."""
        return self.reached / self.load if self.load else None


@dataclass(frozen=True)
class RoundReport:
    """The coordinator's exact numbers for one round."""

    assigned: int
    opted_out: int
    attempted: int
    reached: int
    declined: int
    follow_up: int
    reached_without_opt_outs: int
    median_days_to_reach: float | None
    reached_by_day: tuple[int, ...]  # cumulative: mentees reached by day 0, 1, ...
    mentors: tuple[MentorRow, ...]

    @property
    def reach_rate(self) -> float | None:
        return _rate(self.reached, self.assigned)

    @property
    def reach_rate_without_opt_outs(self) -> float | None:
        return _rate(self.reached_without_opt_outs, self.assigned - self.opted_out)

    @property
    def coverage(self) -> float | None:
        """Share of mentees with at least one attempt."""
        return _rate(self.attempted, self.assigned)


def _rate(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


@dataclass(frozen=True)
class _Mentee:
    flags: frozenset
    reach_day: int | None


def _mentees(facts: RoundFacts) -> dict:
    """Each assigned mentee's flags and day of first reach (attempts of others are ignored)."""
    attempts: dict = {}
    for attempt in facts.attempts:
        if facts.mentor_of.get(attempt.mentee) is not None:
            attempts.setdefault(attempt.mentee, []).append(attempt)
    out = set(facts.opted_out)
    untouched = {False: _Mentee(frozenset(), None), True: _Mentee(frozenset({"opted_out"}), None)}
    result = {}
    for mentee in facts.mentor_of:
        own = attempts.get(mentee)
        if own is None:  # most mentees for most of a round: one shared value, not a new one each
            result[mentee] = untouched[mentee in out]
            continue
        outcomes = {a.outcome for a in own}
        flags = {"opted_out": mentee in out, "attempted": bool(own),
                 "reached": AttemptOutcome.REACHED in outcomes, "declined": AttemptOutcome.DECLINED in outcomes,
                 "follow_up": AttemptOutcome.FOLLOW_UP_REQUESTED in outcomes}
        days = [(a.day - facts.opened_on).days for a in own if a.outcome == AttemptOutcome.REACHED]
        result[mentee] = _Mentee(frozenset(f for f, on in flags.items() if on), max(0, min(days)) if days else None)
    return result


def _last_day(facts: RoundFacts, mentees: dict) -> int:
    """The last day the charts show: the due day, or a later first reach.

    Only days of reach count (an attempt without one adds a flat stretch): they are all a purged
    round keeps, and its report must read the same after the purge as before.
    """
    days = [m.reach_day for m in mentees.values() if m.reach_day is not None]
    return max([(facts.due_on - facts.opened_on).days, 0, *days])


def round_report(facts: RoundFacts) -> RoundReport:
    """The exact report of one round (coordinators only: it names mentors)."""
    mentees = _mentees(facts)

    def count(flag, among=mentees.values()):
        return sum(1 for m in among if flag in m.flags)

    days = [m.reach_day for m in mentees.values() if m.reach_day is not None]
    by_day = [0] * (_last_day(facts, mentees) + 1)
    for day in days:
        by_day[day] += 1
    by_mentor: dict = {}
    for x, p in facts.mentor_of.items():  # one pass: a loop per mentor over every mentee would be n x m
        by_mentor.setdefault(p, []).append(mentees[x])
    rows = [MentorRow(mentor, len(own), count("attempted", own), count("reached", own))
            for mentor, own in sorted(by_mentor.items(), key=lambda item: repr(item[0]))]
    staying = [m for m in mentees.values() if "opted_out" not in m.flags]
    return RoundReport(
        assigned=len(mentees), opted_out=count("opted_out"), attempted=count("attempted"),
        reached=count("reached"), declined=count("declined"), follow_up=count("follow_up"),
        reached_without_opt_outs=count("reached", staying),
        median_days_to_reach=statistics.median(days) if days else None,
        reached_by_day=tuple(itertools.accumulate(by_day)), mentors=tuple(rows))


@dataclass(frozen=True)
class ViewerReport:
    """What a viewer sees of one closed round; ``None`` is a withheld number."""

    numbers: Mapping[tuple, int | None]
    weeks: int
    median_days_to_reach: float | None

    def __getitem__(self, key: tuple) -> int | None:
        return self.numbers[key]

    @property
    def reached_by_week(self) -> tuple[int | None, ...]:
        """Cumulative reach at the end of each week of the round (the viewers' chart)."""
        return tuple(self[("reached by week", w)] for w in range(self.weeks))


def cells(weeks: int) -> list[tuple[frozenset, int | None]]:
    """Every combination of flags and week of first reach a mentee can have.

    Impossible ones are left out (reached, declined or follow-up without an
    attempt; a week without a reach): what anyone knows of the program's
    logic, an attacker knows too, so the suppression must assume it.
    """
    result = []
    for opted_out, attempted in itertools.product((False, True), repeat=2):
        base = {"opted_out"} if opted_out else set()
        if not attempted:
            result.append((frozenset(base), None))
            continue
        for reached, declined, follow_up in itertools.product((False, True), repeat=3):
            flags = base | {"attempted"} | {f for f, on in (("reached", reached), ("declined", declined),
                                                              ("follow_up", follow_up)) if on}
            for week in (range(weeks) if reached else (None,)):
                result.append((frozenset(flags), week))
    return result


def viewer_numbers(weeks: int) -> dict[tuple, callable]:
    """Every number a viewer may see, as a test on a cell (the cells it sums)."""
    numbers = {("assigned",): lambda flags, week: True}
    for flag in FLAGS:
        numbers[(flag,)] = lambda flags, week, flag=flag: flag in flags
        numbers[("not " + flag,)] = lambda flags, week, flag=flag: flag not in flags
    numbers[("assigned", "without opt-outs")] = lambda flags, week: "opted_out" not in flags
    numbers[("reached", "without opt-outs")] = lambda flags, week: "reached" in flags and "opted_out" not in flags
    numbers[("not reached", "without opt-outs")] = lambda flags, week: not flags & {"reached", "opted_out"}
    for w in range(weeks):
        numbers[("reached in week", w)] = lambda flags, week, w=w: week == w
        numbers[("reached by week", w)] = lambda flags, week, w=w: week is not None and week <= w
    return numbers


def viewer_release(facts: RoundFacts, k: int) -> ViewerReport:
    """The viewers' numbers of one closed round, counts from 1 to ``k`` - 1 withheld jointly.

    The median day of first reach is shown only when the reach count and every
    weekly count are: it then tells nothing about a withheld count (it only
    places reaches within weeks already published).
    """
    mentees = _mentees(facts)
    weeks = _last_day(facts, mentees) // 7 + 1
    all_cells = cells(weeks)
    tally: dict = {}
    for m in mentees.values():
        cell = (m.flags, None if m.reach_day is None else m.reach_day // 7)
        tally[cell] = tally.get(cell, 0) + 1
    numbers = {}
    for key, member in viewer_numbers(weeks).items():
        scope = frozenset(i for i, (flags, week) in enumerate(all_cells) if member(flags, week))
        numbers[key] = (sum(tally.get(all_cells[i], 0) for i in scope), scope)
    # The round's size is never shown to viewers, but they know it (the headcount at the opening, less
    # those opted out for good before): the suppression may not lean on withholding it.
    hidden = suppress(numbers, k, frozen=[("assigned",)])
    shown = {key: None if key in hidden else value for key, (value, _) in numbers.items()}
    days = [m.reach_day for m in mentees.values() if m.reach_day is not None]
    weekly_shown = all(shown[("reached in week", w)] is not None for w in range(weeks))
    median = statistics.median(days) if days and weekly_shown and (shown[("reached",)] or 0) >= k else None
    return ViewerReport(shown, weeks, median)
