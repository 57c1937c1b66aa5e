"""A round's numbers as each reader sees them, read in a fixed number of queries.

Coordinators get :func:`coordinator_report`: the exact
:class:`..domain.round_stats.RoundReport` with each mentor's name, load and
completion (while the round's person-level rows exist; after the purge the
same numbers without mentor rows). Viewers get :func:`viewer_report`: the
suppressed release of a *closed* round, or nothing while it is open. The
CSV files hold exactly what the page shows the same reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from docbox_shared.pages import csv_cell
from docbox_shared.problems import Conflict, NotFound

from ..domain.round_stats import RoundReport, ViewerReport, round_report, viewer_release
from ..models import Member, audit_read, db
from .models import Round, RoundSummary
from .operations import facts, summary_facts


@dataclass(frozen=True)
class CoordinatorView:
    report: RoundReport
    mentor_names: dict
    purged: bool


def _facts(round_: Round):
    if round_.purged_at is not None:
        summary = db.session.get(RoundSummary, round_.id)
        return summary_facts(round_, summary), True
    return facts(round_), False


def coordinator_report(round_: Round) -> CoordinatorView:
    the_facts, purged = _facts(round_)
    report = round_report(the_facts)
    names = {}
    if not purged:
        ids = {row.mentor for row in report.mentors}
        names = dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all()) if ids else {}
    else:
        report = RoundReport(**{**report.__dict__, "mentors": ()})
    return CoordinatorView(report, names, purged)


@dataclass(frozen=True)
class Reading:
    """What one reader gets of a round: a coordinator the exact view, a viewer the release (None while
    the round is open)."""

    view: CoordinatorView | None = None
    release: ViewerReport | None = None


def read(round_: Round, staff, page: str) -> Reading:
    """The round's numbers for ``staff``: a coordinator's read is audited as ``page`` (who, when, which
    round); a viewer never learns that a draft exists, and a draft has no numbers for anyone."""
    if round_.is_draft:
        if not staff.can("coordinator"):
            raise NotFound("No round has this id.")
        raise Conflict(f"Round {round_.number} is a draft: it has numbers once it opens.")
    if staff.can("coordinator"):
        view = coordinator_report(round_)
        audit_read(staff.email, "oneonone", page, round_.id)
        db.session.commit()
        return Reading(view=view)
    return Reading(release=viewer_report(round_))


def viewer_report(round_: Round) -> ViewerReport | None:
    """The viewers' numbers of a closed round (None while it is open)."""
    if round_.closed_at is None:
        return None
    the_facts, _ = _facts(round_)
    return viewer_release(the_facts, current_app.config["MIN_CELL"])


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def coordinator_csv_rows(view: CoordinatorView) -> list[list]:
    r = view.report
    return [["measure", "value"], *([label, value] for label, value in coordinator_rows(r)),
            [], ["mentor", "load", "attempted", "reached", "completion"],
            *([csv_cell(view.mentor_names.get(row.mentor, "")), row.load, row.attempted, row.reached, _pct(row.completion)]
              for row in r.mentors),
            [], ["day", "reached by then"], *([day, count] for day, count in enumerate(r.reached_by_day))]


def coordinator_rows(r: RoundReport) -> list[tuple[str, object]]:
    return [("assigned", r.assigned), ("reached", r.reached), ("reach rate", _pct(r.reach_rate)),
            ("reach rate without opt-outs", _pct(r.reach_rate_without_opt_outs)),
            ("attempted (coverage)", f"{r.attempted} ({_pct(r.coverage)})"),
            ("median days to first reached", "" if r.median_days_to_reach is None else r.median_days_to_reach),
            ("declined", r.declined), ("opted out", r.opted_out), ("follow-up requested", r.follow_up)]


def viewer_rows(v: ViewerReport) -> list[tuple[str, object]]:
    """The viewers' rows (page, CSV and API alike): never the number of mentees, nor a rate over it.

    A member opted out for good is in no later round, and leadership knows the headcount at each
    opening: a round's size would tell how many opted out for good in the rounds before it, the
    withheld counts among them (differencing two rounds, or any round against the first, when nobody
    had opted out yet). A rate over the round's mentees, shown with its numerator, tells the size too.
    Viewers divide the counts by the headcount they know.
    """
    def n(key):
        value = v[key]
        return "withheld" if value is None else value
    return [("reached", n(("reached",))), ("attempted", n(("attempted",))),
            ("median days to first reached", "withheld" if v.median_days_to_reach is None else v.median_days_to_reach),
            ("declined", n(("declined",))), ("opted out", n(("opted_out",))), ("follow-up requested", n(("follow_up",)))]


def viewer_csv_rows(v: ViewerReport) -> list[list]:
    return [["measure", "value"], *([label, value] for label, value in viewer_rows(v)),
            [], ["week", "reached by the end of the week"],
            *([week + 1, "withheld" if count is None else count] for week, count in enumerate(v.reached_by_week))]
