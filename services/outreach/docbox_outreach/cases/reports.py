"""The program's reports: exact for the coordinator, small numbers withheld and nobody named for viewers.

Every pairing counts once, whether its rows still exist (open, or closed and
not yet purged) or only its de-identified summary remains: the report reads
both as :class:`Row` (trigger, quarter of the first referral, contacts, hours
to the first contact, outcome). Words, as the published programs use them:

- *referred*: pairings (a physician referred again while open counts once);
- *attempted*: at least one contact logged (reach rate = attempted / referred);
- *offered*: the physician was reached (any outcome but "no answer");
- *accepted*: a contact came to "accepted" (acceptance = accepted / offered);
- hours to first contact run from the referral (the physician's wait).

Viewers read :func:`viewer_report`: *released* quarters only. A quarter is
released ``SETTLE`` after it ended, by the worker (:func:`release_due`): its
pairings are frozen then as de-identified rows (:class:`.models.ReleasedQuarter`)
and its numbers never change afterwards, since a viewer who keeps every answer
would otherwise learn from two reads what moved in between. Each quarter's
counts are suppressed on their own through the kit
(:func:`docbox_shared.suppression.suppress`) over cells (trigger, stage, band
of hours), the complements ("not attempted", "offered, not accepted") being
numbers too. Viewers get no total over the quarters, no median or mean and no
count of open pairings: each of those changes as quarters are added or
pairings move, and two reads of one, months apart, tell the difference (a
withheld count of the newest quarter). The supporters are totals.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from docbox_shared.suppression import suppress

from ..domain import cases
from ..domain.vocabulary import ContactOutcome, Trigger
from . import supporters, survey
from .host import db
from .models import Pairing, ReleasedQuarter, Summary

BANDS = ((24, "24"), (48, "48"), (72, "72"), (None, "later"))
STAGES = ("not_attempted", "attempted_not_offered", "offered_not_accepted", "accepted")
SETTLE = timedelta(days=30)   # after a quarter ends: most first contacts, and answers to them, are in by then


@dataclass(frozen=True)
class Row:
    trigger: Trigger
    quarter: str
    contacts: int
    hours: int | None
    outcome: ContactOutcome | None

    @property
    def attempted(self) -> bool:
        return self.contacts > 0

    @property
    def offered(self) -> bool:
        return self.outcome not in (None, ContactOutcome.NO_ANSWER)

    @property
    def accepted(self) -> bool:
        return self.outcome == ContactOutcome.ACCEPTED

    @property
    def stage(self) -> str:
        return STAGES[3 if self.accepted else 2 if self.offered else 1 if self.attempted else 0]

    @property
    def band(self) -> str:
        if self.hours is None:
            return "none"
        return next(label for limit, label in BANDS if limit is None or self.hours <= limit)


def rows() -> list[Row]:
    zone = current_app.config["OUTREACH_TIMEZONE"]
    result = [Row(s.trigger, s.quarter, s.contacts, s.hours_to_first_contact, s.outcome)
              for s in db.session.scalars(select(Summary))]
    for p in db.session.scalars(select(Pairing)).unique():
        log = [cases.Contact(c.contacted_at, c.channel, c.outcome) for c in p.contacts]
        first = min((c.at for c in log), default=None)
        hours = None if first is None else max(0, int((first - p.referred_at).total_seconds() // 3600))
        result.append(Row(p.trigger, cases.quarter_of(p.referred_at, zone), len(log), hours,
                          cases.pairing_outcome(log)))
    return result


def rate(part: int | None, whole: int | None) -> float | None:
    return None if part is None or not whole else round(part / whole, 3)


@dataclass
class Report:
    quarters: list[str]
    referred: dict = field(default_factory=dict)      # (quarter or "all", trigger or "all") -> count
    counts: dict = field(default_factory=dict)        # (quarter or "all", measure) -> count
    median_hours: float | None = None
    mean_contacts_accepted: float | None = None
    supporters: list = field(default_factory=list)    # coordinator: (name, open, capacity, current, resting)
    supporter_totals: dict = field(default_factory=dict)
    surveys: list = field(default_factory=list)
    withheld: set = field(default_factory=set)        # keys of referred/counts that are withheld
    totals: bool = True                               # the "all" line (coordinators only)

    @property
    def lines(self) -> list[str]:
        """The quarters shown, and "all" when the totals are."""
        return [*self.quarters, *(["all"] if self.totals else [])]

    def value(self, table: str, key) -> int | None:
        """A count, or None when it is withheld."""
        return None if (table, key) in self.withheld else getattr(self, table).get(key, 0)

    def rates(self, quarter: str) -> dict[str, float | None]:
        def v(measure):
            return self.value("counts", (quarter, measure))
        return {"reach": rate(v("attempted"), self.value("referred", (quarter, "all"))),
                "acceptance": rate(v("accepted"), v("offered")),
                **{f"within_{b}h": rate(v(f"within_{b}"), v("attempted")) for b in ("24", "48", "72")}}


MEASURES = {
    "attempted": lambda r: r.attempted, "not_attempted": lambda r: not r.attempted,
    "offered": lambda r: r.offered, "accepted": lambda r: r.accepted,
    "offered_not_accepted": lambda r: r.offered and not r.accepted,
    "within_24": lambda r: r.attempted and r.hours <= 24, "within_48": lambda r: r.attempted and r.hours <= 48,
    "within_72": lambda r: r.attempted and r.hours <= 72, "later_than_72": lambda r: r.attempted and r.hours > 72,
}


def _build(all_rows: list[Row], today: date, named: bool, quarters: list[str] | None = None) -> Report:
    quarters = sorted({r.quarter for r in all_rows}) if quarters is None else quarters
    report = Report(quarters)
    for q in [*quarters, "all"]:
        in_q = [r for r in all_rows if q in ("all", r.quarter)]
        for t in [*Trigger, "all"]:
            report.referred[(q, t)] = sum(1 for r in in_q if t in ("all", r.trigger))
        for name, test in MEASURES.items():
            report.counts[(q, name)] = sum(1 for r in in_q if test(r))
    hours = [r.hours for r in all_rows if r.hours is not None]
    accepted = [r.contacts for r in all_rows if r.accepted]
    k = current_app.config.get("MIN_CELL", 5) if not named else 1
    report.median_hours = statistics.median(hours) if len(hours) >= max(k, 1) else None
    report.mean_contacts_accepted = round(statistics.fmean(accepted), 1) if len(accepted) >= max(k, 1) else None
    loads = supporters.open_loads()
    valid = supporters.training_valid_for()
    everyone = [s for s in supporters.roster() if s.member.active]
    current = {s.id: any(t.trained_on + valid > today for t in s.trainings) for s in everyone}
    active = [s for s in everyone if not s.resting]
    report.supporter_totals = {"active": len(active), "resting": len(everyone) - len(active),
                               "trained_current": sum(current[s.id] for s in active),
                               "capacity": sum(s.capacity for s in active),
                               "open_pairings": sum(loads.get(s.id, 0) for s in everyone)}
    if named:
        report.supporters = [(s.member.name, loads.get(s.id, 0), s.capacity, current[s.id], s.resting)
                             for s in everyone]
    report.surveys = [survey.results(r) for r in survey.rounds()]
    return report


def coordinator_report(today: date) -> Report:
    return _build(rows(), today, named=True)


def _quarter_end(quarter: str) -> date:
    year, number = int(quarter[:4]), int(quarter[-1])
    return date(year + (number == 4), 1 if number == 4 else number * 3 + 1, 1)


def _next_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[-1])
    return f"{year + (number == 4)}-Q{1 if number == 4 else number + 1}"


def release_due(now: datetime) -> int:
    """Freeze every quarter whose ``SETTLE`` has passed and that is not frozen yet (the caller commits).

    Quarters with no referral are released too (zeros are numbers), so one look at the latest
    released quarter tells that nothing is due, without reading the pairings on every pass.
    """
    today = now.astimezone(current_app.config["OUTREACH_TIMEZONE"]).date()
    latest = db.session.scalar(select(ReleasedQuarter.quarter).order_by(ReleasedQuarter.quarter.desc()).limit(1))
    if latest is not None and _quarter_end(_next_quarter(latest)) + SETTLE > today:
        return 0
    by_quarter: dict[str, list] = {}
    for r in rows():
        by_quarter.setdefault(r.quarter, []).append(
            [Trigger(r.trigger).value, r.contacts, r.hours, None if r.outcome is None else ContactOutcome(r.outcome).value])
    quarter = _next_quarter(latest) if latest else min(by_quarter, default=None)
    made = 0
    while quarter is not None and _quarter_end(quarter) + SETTLE <= today:
        frozen = sorted(by_quarter.get(quarter, []), key=lambda x: (x[0], x[1], -1 if x[2] is None else x[2], x[3] or ""))
        try:
            with db.session.begin_nested():   # another worker may release it at the same moment: theirs stands
                db.session.add(ReleasedQuarter(quarter=quarter, rows=frozen, released_at=now))
            made += 1
        except IntegrityError:
            pass
        quarter = _next_quarter(quarter)
    return made


def viewer_report(today: date) -> Report:
    """Released quarters only, each frozen and suppressed on its own; no totals; nobody named."""
    released = db.session.scalars(select(ReleasedQuarter).order_by(ReleasedQuarter.quarter)).all()
    all_rows = [Row(Trigger(t), q.quarter, c, h, None if o is None else ContactOutcome(o))
                for q in released for t, c, h, o in q.rows]
    report = _build(all_rows, today, named=False, quarters=[q.quarter for q in released])
    report.totals = False
    for table in (report.referred, report.counts):   # no total over quarters leaves the report
        for key in [key for key in table if key[0] == "all"]:
            del table[key]
    k = current_app.config.get("MIN_CELL", 5)
    for quarter in report.quarters:
        in_q = [r for r in all_rows if r.quarter == quarter]

        def cells(test, trigger="all", in_q=in_q):
            return frozenset((r.trigger, r.stage, r.band) for r in in_q if trigger in ("all", r.trigger) and test(r))

        numbers = {}
        for t in [*Trigger, "all"]:
            numbers[("referred", (quarter, t))] = (report.referred[(quarter, t)], cells(lambda r: True, t))
        for name in MEASURES:
            numbers[("counts", (quarter, name))] = (report.counts[(quarter, name)], cells(MEASURES[name]))
        report.withheld |= suppress(numbers, k)
    report.median_hours = report.mean_contacts_accepted = None
    report.supporter_totals["open_pairings"] = None
    return report


def csv_rows(report: Report) -> list[list]:
    """What the page shows, as CSV rows (withheld counts are empty cells)."""
    rows = [["quarter", *(f"referred_{t.value}" for t in Trigger), "referred", *MEASURES, "reach_rate", "acceptance_rate"]]
    for q in report.lines:
        rates = report.rates(q)
        rows.append([q, *(_cell(report.value("referred", (q, t))) for t in [*Trigger, "all"]),
                     *(_cell(report.value("counts", (q, m))) for m in MEASURES),
                     _cell(rates["reach"]), _cell(rates["acceptance"])])
    return rows


def _cell(value) -> str:
    return "" if value is None else str(value)

