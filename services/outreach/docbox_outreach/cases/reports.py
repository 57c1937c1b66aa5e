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

Viewers read :func:`viewer_report`: quarters that have ended only, counts
suppressed jointly through the kit (:func:`docbox_shared.suppression.suppress`)
over cells (quarter, trigger, stage, band of hours), the complements ("not
attempted", "offered, not accepted") being numbers too; a median or mean only
over at least ``MIN_CELL`` pairings; the supporters as totals.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select

from docbox_shared.suppression import suppress

from ..domain import cases
from ..domain.vocabulary import ContactOutcome, Trigger
from . import supporters, survey
from .host import db
from .models import Pairing, Summary

BANDS = ((24, "24"), (48, "48"), (72, "72"), (None, "later"))
STAGES = ("not_attempted", "attempted_not_offered", "offered_not_accepted", "accepted")


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


def _build(all_rows: list[Row], today: date, named: bool) -> Report:
    quarters = sorted({r.quarter for r in all_rows})
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


def ended_quarter(quarter: str, today: date) -> bool:
    year, number = int(quarter[:4]), int(quarter[-1])
    end = date(year + (number == 4), 1 if number == 4 else number * 3 + 1, 1)
    return end <= today


def viewer_report(today: date) -> Report:
    """Ended quarters only; every count suppressed jointly; nobody named."""
    all_rows = [r for r in rows() if ended_quarter(r.quarter, today)]
    report = _build(all_rows, today, named=False)
    k = current_app.config.get("MIN_CELL", 5)

    def cells(test, quarter="all", trigger="all"):
        return frozenset((r.quarter, r.trigger, r.stage, r.band) for r in all_rows
                         if quarter in ("all", r.quarter) and trigger in ("all", r.trigger) and test(r))

    numbers = {}
    for (q, t), value in report.referred.items():
        numbers[("referred", (q, t))] = (value, cells(lambda r: True, q, t))
    for (q, name), value in report.counts.items():
        numbers[("counts", (q, name))] = (value, cells(MEASURES[name], q))
    load = report.supporter_totals["open_pairings"]
    report.withheld = suppress(numbers, k)
    if 1 <= load < k:
        report.supporter_totals["open_pairings"] = None
    if report.median_hours is not None and ("counts", ("all", "attempted")) in report.withheld:
        report.median_hours = None
    return report


def csv_text(report: Report) -> str:
    """What the page shows, as CSV (withheld counts are empty cells)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["quarter", *(f"referred_{t.value}" for t in Trigger), "referred", *MEASURES,
                     "reach_rate", "acceptance_rate"])
    for q in [*report.quarters, "all"]:
        rates = report.rates(q)
        writer.writerow([q, *(_cell(report.value("referred", (q, t))) for t in [*Trigger, "all"]),
                         *(_cell(report.value("counts", (q, m))) for m in MEASURES),
                         _cell(rates["reach"]), _cell(rates["acceptance"])])
    return out.getvalue()


def _cell(value) -> str:
    return "" if value is None else str(value)

