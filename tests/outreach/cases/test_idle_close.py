"""A case nobody acts on does not keep a name forever: after CASE_IDLE_DAYS (180) without activity the worker
closes it ("no activity"), writes nobody, leaves an audit line, and the normal retention follows. The
coordinator sees it coming and both coordinator and supporter see it closed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from docbox_outreach.cases import pairings, run_due
from docbox_outreach.cases.host import OutgoingMail, ReadAudit, db
from docbox_outreach.cases.models import Pairing, Summary

from .conftest import as_staff
from .helpers import make_supporters, matched, refer

COORD = as_staff("coord@hospital.test", "coordinator")
EVE = as_staff("eve@hospital.test", "supporter")


def _page(app, url, who=COORD):
    """A page as its reader gets it: a request of its own (its own app context, staff and session)."""
    with app.app_context():
        return app.test_client().get(url, headers=who)


def _mail():
    return db.session.scalar(select(func.count()).select_from(OutgoingMail))


def test_an_idle_pairing_closes_after_180_days_quietly_and_is_then_forgotten(app, roster, coordinator, clock):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    clock.advance(hours=5)
    pairings.log_contact(pairing, None, "call", "reached")
    db.session.commit()
    pairing_id, last = pairing.id, clock()
    clock.set(last + timedelta(days=149))
    assert "closes for no activity" not in _page(app, "/cases/queue").text
    clock.set(last + timedelta(days=151))
    assert "closes for no activity" in _page(app, "/cases/queue").text
    mail_before = _mail()
    clock.set(last + timedelta(days=180) - timedelta(minutes=1))
    run_due()
    assert db.session.get(Pairing, pairing_id).status == "active"
    clock.set(last + timedelta(days=180))
    run_due()
    closed = db.session.get(Pairing, pairing_id)
    assert (closed.status, closed.closing_reason, closed.closed_at) == ("closed", "no_activity", clock())
    assert _mail() == mail_before                                       # nobody is written to
    assert db.session.scalars(select(ReadAudit.subject_id).where(ReadAudit.page == "cases.closed_idle")).all() == [
        pairing_id]
    queue = _page(app, "/cases/queue").text
    assert "Closed for no activity (1)" in queue and "Cy Patel" in queue
    mine = _page(app, "/cases/mine", EVE).text
    assert "Closed for no activity" in mine and "Cy Patel" in mine
    assert _page(app, f"/cases/mine/{pairing_id}", EVE).status_code == 404
    clock.advance(days=31)
    assert "Cy Patel" not in _page(app, "/cases/mine", EVE).text
    clock.set(closed.closed_at + timedelta(days=366))                   # the normal retention after closing
    run_due()
    assert db.session.get(Pairing, pairing_id) is None
    assert db.session.scalars(select(Summary.closing_reason)).all() == ["no_activity"]


def test_a_new_referral_or_a_reoffer_date_ahead_keeps_a_pairing_open(app, roster, coordinator, clock):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    clock.advance(hours=5)
    pairings.log_contact(pairing, None, "call", "deferred", reoffer_on=(clock() + timedelta(days=300)).date())
    db.session.commit()
    deferred_id, start = pairing.id, clock()
    waiting = refer(roster.other)                                       # another physician: waits, unmatched
    clock.set(start + timedelta(days=170))
    refer(roster.other, "litigation")                                   # joins the waiting pairing: activity
    clock.set(start + timedelta(days=200))
    run_due()
    assert db.session.get(Pairing, deferred_id).status == "active"      # the re-offer date lies ahead
    other = db.session.scalar(select(Pairing).where(Pairing.physician_id == roster.other.id))
    assert other.status == "waiting" and waiting is not None
    clock.set(start + timedelta(days=350))                              # 180 days after the second referral
    run_due()
    assert db.session.get(Pairing, other.id).closing_reason == "no_activity"
    assert db.session.get(Pairing, deferred_id).status == "active"
    clock.set(start + timedelta(days=300 + 181))                        # 180 days after the re-offer date
    run_due()
    assert db.session.get(Pairing, deferred_id).closing_reason == "no_activity"
