"""The referrer's receipt depends on nothing that happened; reports withhold small numbers from viewers."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from scipy.optimize import linprog

from docbox_outreach.cases import pairings, referrals, reports, retention
from docbox_outreach.cases.host import db
from docbox_outreach.cases.models import Pairing
from support.downloads import csv_rows

from .conftest import as_staff
from .helpers import TODAY, make_supporters, matched, open_pairing, refer


def history(name, roster, coordinator, clock, eve):
    """Bring Cy's pairing to a state; each is something a referrer must not learn."""
    if name == "never referred":
        return
    pairing = matched(roster, coordinator, eve, attest=name != "waiting") if name != "waiting" else None
    if name == "waiting":
        refer(roster.phys)
        return
    if name in ("contacted", "accepted", "declined", "closed", "purged"):
        clock.advance(hours=3)
        pairings.log_contact(pairing, None, "call", {"contacted": "no_answer", "declined": "declined"}.get(
            name, "accepted"))
    if name in ("closed", "purged"):
        pairings.close(pairing, "support_given")
    db.session.commit()
    if name == "purged":
        clock.advance(days=400)
        retention.purge(clock())


STATES = ["never referred", "waiting", "assigned", "active", "contacted", "accepted", "declined", "closed", "purged"]


@pytest.mark.parametrize("state", STATES)
def test_a_referral_answers_the_same_whatever_happened_before(roster, coordinator, clock, state):
    (eve,) = make_supporters(roster, roster.peer1)
    history(state, roster, coordinator, clock, eve)
    before = db.session.query(Pairing).count()
    receipt = referrals.refer(roster.phys.id, "litigation", TODAY, TODAY)
    db.session.commit()
    assert receipt == referrals.Receipt("Cy Patel", "litigation", TODAY, clock())
    # An open pairing is joined; otherwise a new one waits.
    joined = state not in ("never referred", "closed", "purged")
    assert db.session.query(Pairing).count() == before + (0 if joined else 1)
    assert len(open_pairing(roster.phys).referrals) == (2 if joined else 1)


def test_a_referral_names_a_physician_of_the_roster_a_fixed_trigger_and_a_plausible_date(roster):
    from docbox_shared.problems import ValidationProblem
    with pytest.raises(ValidationProblem) as refused:
        referrals.refer(9999, "malpractice claim 2026-117", TODAY + timedelta(days=1), TODAY)
    assert set(refused.value.errors) == {"physician_id", "trigger", "referred_on"}
    assert db.session.query(Pairing).count() == 0


def _rows(spec):
    """Pairings as the reports read them: (quarter, trigger, contacts, hours, outcome) tuples."""
    return [reports.Row(t, q, c, h, o) for q, t, c, h, o in spec]


def _release(app):
    """The worker's pass on the report's day: quarters due are released to viewers."""
    from datetime import datetime, timezone
    reports.release_due(datetime(TODAY.year, TODAY.month, TODAY.day, 15, tzinfo=timezone.utc))
    db.session.commit()


def test_viewers_get_small_counts_withheld_and_no_withheld_count_can_be_derived(app, monkeypatch):
    spec = ([("2025-Q3", "quality_review", 2, 20, "accepted")] * 6 + [("2025-Q3", "litigation", 1, 30, "declined")]
            + [("2025-Q3", "quality_review", 0, None, None)] + [("2025-Q4", "litigation", 3, 50, "accepted")] * 5
            + [("2025-Q4", "other", 1, 80, "no_answer")] * 2 + [("2026-Q1", "quality_review", 1, 5, "accepted")])
    monkeypatch.setattr(reports, "rows", lambda: _rows(spec))
    with app.app_context():
        exact = reports.coordinator_report(TODAY)
        _release(app)
        viewer = reports.viewer_report(TODAY)
    assert exact.value("referred", ("2025-Q3", "litigation")) == 1
    assert viewer.value("referred", ("2025-Q3", "litigation")) is None      # 1 < K = 3
    assert viewer.value("counts", ("2025-Q3", "not_attempted")) is None      # "one was not reached" is a number
    assert viewer.value("referred", ("2025-Q4", "all")) == 7                # the quarters that ended
    assert "2026-Q1" not in viewer.quarters                                  # a quarter not over yet
    assert ("all", "all") not in viewer.referred                             # no total over quarters
    assert viewer.supporters == [] and exact.supporters == []                # nobody named (no supporters here)
    # The attacker: every published number of the viewer's report as an equation over the cells; each withheld
    # count must range over at least K - 1 values.
    cells = sorted({(r.quarter, r.trigger, r.stage, r.band) for r in _rows(spec) if r.quarter != "2026-Q1"})
    index = {c: i for i, c in enumerate(cells)}
    rows_ = [r for r in _rows(spec) if r.quarter != "2026-Q1"]

    def scope(table, key):
        q, x = key
        test = (lambda r: x in ("all", r.trigger)) if table == "referred" else reports.MEASURES[x]
        vector = [0.0] * len(cells)
        for c in {(r.quarter, r.trigger, r.stage, r.band) for r in rows_ if q in ("all", r.quarter) and test(r)}:
            vector[index[c]] = 1.0
        return vector

    published = [(scope(t, k), viewer.value(t, k)) for t in ("referred", "counts")
                 for k in getattr(viewer, t) if viewer.value(t, k) is not None]
    withheld = [(t, k) for t, k in viewer.withheld]
    assert withheld
    for table, key in withheld:
        row = scope(table, key)
        others = [scope(t, k) for t, k in withheld]
        bounds = []
        for sign in (1, -1):
            result = linprog([sign * v for v in row], A_eq=[p for p, _ in published], b_eq=[v for _, v in published],
                             A_ub=[[-v for v in o] for o in others], b_ub=[-1] * len(others), bounds=(0, None))
            bounds.append(sign * result.fun if result.status == 0 else float("inf"))
        assert bounds[1] - bounds[0] >= 2, (table, key, bounds)


def test_the_csv_is_what_the_page_shows(app, monkeypatch):
    spec = [("2025-Q3", "quality_review", 2, 20, "accepted")] * 4 + [("2025-Q3", "litigation", 1, 30, "declined")]
    monkeypatch.setattr(reports, "rows", lambda: _rows(spec))
    with app.app_context():
        _release(app)
    client = app.test_client()
    header, q3, q4 = csv_rows(client.get("/cases/report.csv", headers=as_staff("viewer@example.org", "viewer")))
    assert header[0] == "quarter", "the first heading is read without a stray mark"
    assert q4[0] == "2025-Q4" and q4[header.index("referred")] == "0"   # a quarter without referrals is released too
    assert q3[header.index("referred_litigation")] == ""        # withheld: an empty cell
    assert q3[header.index("referred")] == "5"
    exact = csv_rows(client.get("/cases/report.csv", headers=as_staff("coordinator@example.org", "coordinator")))
    assert exact[1][header.index("referred_litigation")] == "1"


def test_reports_count_a_pairing_once_whether_live_or_summarized(roster, coordinator, clock):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    clock.advance(hours=30)
    pairings.log_contact(pairing, None, "call", "accepted")
    refer(roster.phys, "litigation")         # joins: still one pairing
    pairings.close(pairing, "support_given")
    db.session.commit()
    live = reports.coordinator_report(TODAY)
    clock.advance(days=400)
    retention.purge(clock())
    kept = reports.coordinator_report(date(2027, 4, 1))
    for report in (live, kept):
        assert report.value("referred", ("all", "all")) == 1
        assert report.value("counts", ("all", "within_48")) == 1 and report.value("counts", ("all", "within_24")) == 0
        assert report.rates("all")["acceptance"] == 1.0
    assert list(itertools.chain(live.quarters)) == ["2026-Q1"]
