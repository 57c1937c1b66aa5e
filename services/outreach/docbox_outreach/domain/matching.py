"""Ranking trained supporters for a referral (case-based program).

Words: a supporter's *training* is current from their latest training or
refresher date until a configured period later (the day it expires it no
longer counts). Their *open load* is the number of open pairings against
their *capacity*; a *resting* supporter takes no new pairings. A physician's
*division preference* (same or other division), where known, comes from the
physician, never from the referrer.

The ranking only orders; it never assigns. Assigning needs the supporter's
own attestation that they are not involved in the case, not reviewing it and
not in the physician's reporting line: the software cannot know the first two
(it holds no case), so people already known to be in the reporting line are
ranked out here and the attestation covers the rest. A supporter who refuses
sends the referral back to the queue.

Nothing here takes a case, a patient or a narrative: only the physician's id
and division, and the supporters' training dates, load and division.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .vocabulary import DivisionPreference


@dataclass(frozen=True)
class Supporter:
    id: Hashable
    division: str
    trained_on: tuple[date, ...]  # the training and every refresher
    capacity: int
    open_load: int
    resting: bool = False

    def training_expires_on(self, valid_for: timedelta) -> date | None:
        return max(self.trained_on) + valid_for if self.trained_on else None


@dataclass(frozen=True)
class Candidate:
    """A supporter as the coordinator sees them for one referral: ranked, with why not if not."""

    supporter: Supporter
    training_expires_on: date | None
    spare: int
    division_matches: bool | None  # None when the physician stated no preference
    not_eligible: tuple[str, ...]  # empty when the supporter can be asked

    @property
    def eligible(self) -> bool:
        return not self.not_eligible


def rank_supporters(supporters: Iterable[Supporter], physician: Hashable, physician_division: str,
                    preference: DivisionPreference | None, today: date, training_valid_for: timedelta,
                    reporting_line: Collection[Hashable] = ()) -> list[Candidate]:
    """Every supporter, the ones who can be asked first.

    Among those: the physician's division preference first, then the lightest
    relative load (open pairings ÷ capacity), then the most spare places, then
    the training valid longest, then the id (a stable order).
    ``reporting_line`` holds the physician's reporting line (above and below).
    """
    candidates = []
    for s in supporters:
        expires = s.training_expires_on(training_valid_for)
        reasons = []
        if s.id == physician:
            reasons.append("is the physician")
        if s.id in reporting_line:
            reasons.append("in the physician's reporting line")
        if s.resting:
            reasons.append("resting")
        if expires is None:
            reasons.append("not trained")
        elif expires <= today:
            reasons.append(f"training expired on {expires.isoformat()}")
        if s.open_load >= s.capacity:
            reasons.append("at capacity")
        matches = None if preference is None else (
            (s.division == physician_division) == (preference == DivisionPreference.SAME))
        candidates.append(Candidate(s, expires, max(0, s.capacity - s.open_load), matches, tuple(reasons)))
    return sorted(candidates, key=lambda c: (
        not c.eligible, c.division_matches is False,
        c.supporter.open_load / c.supporter.capacity if c.supporter.capacity > 0 else float("inf"),
        -c.spare, -(c.training_expires_on or date.min).toordinal(), repr(c.supporter.id)))
