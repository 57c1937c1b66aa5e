"""A viewer who reads the case report every few months and keeps every answer learns no withheld count.

Last time's checkers attacked with every answer an adversary can collect: here, the viewer's report read
at two dates, combined, bounded by linear programming; and a quarter's numbers re-read after its
pairings moved on.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from scipy.optimize import linprog

from docbox_outreach.cases import reports, timers

from .helpers import TODAY  # noqa: F401 - the fixtures' clock starts on it


def _rows(spec):
    return [reports.Row(t, q, c, h, o) for q, t, c, h, o in spec]


def _read(app, monkeypatch, clock, spec, when: date):
    """The viewer's report at ``when``, after the worker's pass of that day, over the pairings in ``spec``."""
    monkeypatch.setattr(reports, "rows", lambda: _rows(spec))
    clock.set(datetime(when.year, when.month, when.day, 15, tzinfo=timezone.utc))
    with app.app_context():
        timers.run_pass(clock())
        return reports.viewer_report(when)


def _equations(report, spec, cells):
    """Every number of ``report`` as (the cells it sums, its value or None when withheld)."""
    index = {c: i for i, c in enumerate(cells)}
    out = []
    for table in ("referred", "counts"):
        for key in getattr(report, table):
            q, x = key
            test = (lambda r, x=x: x in ("all", r.trigger)) if table == "referred" else reports.MEASURES[x]
            vector = [0.0] * len(cells)
            for r in _rows(spec):
                if (r.quarter == q or q == "all" and r.quarter in report.quarters) and test(r):
                    vector[index[(r.quarter, r.trigger, r.stage, r.band)]] = 1.0
            if q == "all" or q in report.quarters:
                out.append((vector, report.value(table, key)))
    return out


def test_two_reads_months_apart_do_not_give_a_withheld_count_away(app, monkeypatch, clock):
    k = app.config["MIN_CELL"]
    q1 = [("2026-Q1", "quality_review", 2, 20, "accepted")] * 10
    q2 = [("2026-Q2", "litigation", 1, 30, "declined")]
    spec = q1 + q2
    cells = sorted({(r.quarter, r.trigger, r.stage, r.band) for r in _rows(spec)})
    equations = (_equations(_read(app, monkeypatch, clock, q1, date(2026, 6, 1)), spec, cells)
                 + _equations(_read(app, monkeypatch, clock, spec, date(2026, 9, 1)), spec, cells))
    published = [(v, n) for v, n in equations if n is not None]
    withheld = [v for v, n in equations if n is None]
    assert withheld   # the one litigation referral of Q2
    for row in withheld:
        bounds = []
        for sign in (1, -1):
            result = linprog([sign * x for x in row], A_eq=[v for v, _ in published], b_eq=[n for _, n in published],
                             A_ub=[[-x for x in o] for o in withheld], b_ub=[-1] * len(withheld), bounds=(0, None))
            bounds.append(sign * result.fun if result.status == 0 else float("inf"))
        assert bounds[1] - bounds[0] >= k - 1, bounds


def test_a_released_quarter_reads_the_same_after_its_pairings_moved_on(app, monkeypatch, clock):
    before = [("2026-Q1", "quality_review", 2, 20, "accepted")] * 6 + [("2026-Q1", "litigation", 1, 30, "no_answer")]
    first = _read(app, monkeypatch, clock, before, date(2026, 6, 1))
    # Later the litigation physician is reached and accepts; a new quarter ends too.
    after = before[:6] + [("2026-Q1", "litigation", 3, 30, "accepted")] + [("2026-Q2", "other", 1, 5, "accepted")] * 4
    second = _read(app, monkeypatch, clock, after, date(2026, 9, 1))
    assert "2026-Q1" in first.quarters and "2026-Q2" in second.quarters
    for table in ("referred", "counts"):
        for key in getattr(first, table):
            if key[0] == "2026-Q1":
                assert first.value(table, key) == second.value(table, key), (table, key)
    # Nothing that moves with the pairings of today: no open count, no median over a growing set.
    assert second.supporter_totals.get("open_pairings") is None
    assert second.median_hours is None and second.mean_contacts_accepted is None


def test_survey_results_give_no_small_count_and_no_single_answer_away(roster, coordinator, clock):
    from docbox_outreach.cases import survey
    from docbox_outreach.cases.host import db

    from .test_retention_and_survey import accepted_pairings, survey_tokens

    accepted_pairings(roster, coordinator, clock, 5)
    survey_round = survey.open_round(date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1))
    db.session.commit()
    tokens = [t for _, t in survey_tokens()]
    seen = []
    for i, token in enumerate(tokens):           # K = 3: four say it was valuable, one does not
        survey.answer(token, i != 2, True, {})
        db.session.commit()
        seen.append(survey.results(survey_round))
    # A viewer who reloads after each answer would read each one off the change: nothing while it is open.
    assert not any(r.shown for r in seen)
    survey.close_round(survey_round)
    db.session.commit()
    result = survey.results(survey_round)
    assert result.shown and result.answers == 5 and result.recommend == 5
    # "4 of 5 found it valuable" tells that 1 did not: a count below K, withheld like any other.
    assert result.valuable is None


def _bounds(published, withheld, extra_ub=(), extra_b=()):
    """Each withheld number's least and greatest value that every published one, and what the viewer knows
    besides (``extra_ub`` · x <= ``extra_b``), allow."""
    found = []
    for row in withheld:
        bounds = []
        for sign in (1, -1):
            result = linprog([sign * x for x in row], A_eq=[v for v, _ in published], b_eq=[n for _, n in published],
                             A_ub=[[-x for x in o] for o in withheld] + list(extra_ub),
                             b_ub=[-1] * len(withheld) + list(extra_b), bounds=(0, None))
            bounds.append(sign * result.fun if result.status == 0 else float("inf"))
        found.append(bounds)
    return found


def test_knowing_the_headcount_and_reading_every_quarter_as_it_comes_gives_no_withheld_count_away(
        app, monkeypatch, clock):
    """Leadership knows how many physicians the department has (8) and that each has at most one pairing a
    quarter; it reads the report after each quarter is released, and keeps every answer."""
    k, headcount = app.config["MIN_CELL"], 8
    q1 = ([("2026-Q1", "quality_review", 2, 20, "accepted")] * 4 + [("2026-Q1", "litigation", 1, 30, "declined")]
          + [("2026-Q1", "other", 0, None, None)])
    q2 = [("2026-Q2", "quality_review", 1, 10, "accepted")] * 3 + [("2026-Q2", "litigation", 2, 80, "no_answer")] * 2
    q3 = [("2026-Q3", "other", 1, 5, "deferred")] * 7 + [("2026-Q3", "litigation", 1, 50, "accepted")]
    spec = q1 + q2 + q3
    cells = sorted({(r.quarter, r.trigger, r.stage, r.band) for r in _rows(spec)})
    equations = []
    for seen, when in ((q1, date(2026, 5, 15)), (q1 + q2, date(2026, 8, 15)), (spec, date(2026, 11, 15)),
                       (spec, date(2027, 3, 1))):
        equations += _equations(_read(app, monkeypatch, clock, seen, when), spec, cells)
    published = [(v, n) for v, n in equations if n is not None]
    withheld = [v for v, n in equations if n is None]
    assert withheld
    # The headcount: no quarter has more pairings than the department has physicians.
    per_quarter = [[1.0 if c[0] == q else 0.0 for c in cells] for q in ("2026-Q1", "2026-Q2", "2026-Q3")]
    for low, high in _bounds(published, withheld, per_quarter, [headcount] * 3):
        assert high - low >= k - 1, (low, high)
