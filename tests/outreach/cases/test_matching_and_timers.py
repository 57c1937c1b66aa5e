"""Matching with the attestation, contacts, and the first-contact timers on a fake clock."""

from __future__ import annotations

from datetime import date, datetime, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from docbox_outreach.cases import pairings, supporters, timers
from docbox_outreach.cases.host import OutgoingMail, db
from docbox_outreach.cases.models import Pairing, Status
from docbox_shared.problems import Conflict, Forbidden, ValidationProblem

from .helpers import TODAY, make_supporters, matched, open_pairing, refer


def mails():
    rows = db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)).all()
    return [(r.recipient, message_from_bytes(r.body, policy=policy.default)) for r in rows]


def names(candidates, eligible=True):
    return [c.supporter.id for c in candidates if c.eligible == eligible]


def test_ranking_puts_out_the_reporting_line_resting_expired_and_full_supporters(roster, coordinator):
    eve, fay, gus = make_supporters(roster, roster.peer1, roster.peer2, roster.peer3)
    refer(roster.phys)
    pairing = open_pairing(roster.phys)
    ranked = pairings.candidates(pairing, TODAY)
    # Fay reports to the physician's own head: the same reporting line (above and below) only if in line;
    # she is a sibling, so she may be asked. Ben (the head) is above: not a supporter here.
    assert set(names(ranked)) == {roster.peer1.id, roster.peer2.id, roster.peer3.id}
    supporters.change(gus, resting=True)
    supporters.record_training(eve, "refresher", date(2026, 2, 1), TODAY)
    fay.trainings[0].trained_on = date(2025, 1, 1)   # expired after 365 days
    db.session.commit()
    ranked = pairings.candidates(pairing, TODAY)
    assert names(ranked) == [roster.peer1.id]
    why = {c.supporter.id: c.not_eligible for c in ranked}
    assert why[roster.peer3.id] == ("resting",)
    assert why[roster.peer2.id] == ("training expired on 2026-01-01",)


def test_a_supporter_in_the_physicians_reporting_line_cannot_be_assigned(roster, coordinator):
    (head,) = make_supporters(roster, roster.head)
    refer(roster.phys)
    pairing = open_pairing(roster.phys)
    with pytest.raises(ValidationProblem) as refused:
        pairings.assign(coordinator, pairing, head.id, TODAY)
    assert "reporting line" in str(refused.value.errors)
    db.session.rollback()
    assert open_pairing(roster.phys).status == Status.WAITING and mails() == []


def test_assignment_mails_the_supporter_once_with_name_contact_due_time_and_type_only(roster, coordinator):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve, attest=False)
    assert pairing.status == Status.ASSIGNED
    assert pairing.due_at == datetime(2026, 3, 4, 14, 0, tzinfo=timezone.utc)   # 48 hours after the match
    [(recipient, message)] = mails()
    text = message.get_body(("plain",)).get_content()
    assert recipient == "eve@hospital.test"
    assert message["Subject"] == "Doc Box peer support: something to do"   # neutral
    assert "Cy Patel" not in message["Subject"]
    assert "Cy Patel (Cardiology), cy@hospital.test" in text
    assert "Wednesday 04 March 2026, 09:00" in text and "quality review" in text
    assert "Hi Cy, I'm one of the department's peer supporters" in text


def test_contacts_need_the_attestation_and_a_refusal_sends_the_pairing_back(roster, coordinator):
    eve, gus = make_supporters(roster, roster.peer1, roster.peer3)
    pairing = matched(roster, coordinator, eve, attest=False)
    with pytest.raises(Forbidden):
        pairings.log_contact(pairing, None, "call", "reached")
    with pytest.raises(ValidationProblem) as partial:
        pairings.attest(pairing, {"not_involved": True, "not_reviewing": True, "not_in_reporting_line": False})
    assert list(partial.value.errors) == ["not_in_reporting_line"] and pairing.status == Status.ASSIGNED
    pairings.refuse(pairing)
    db.session.commit()
    assert (pairing.status, pairing.supporter_id, pairing.due_at) == (Status.WAITING, None, None)
    ranked = pairings.candidates(pairing, TODAY)
    assert [c.not_eligible for c in ranked if c.supporter.id == roster.peer1.id] == [("refused this pairing",)]
    with pytest.raises(ValidationProblem):
        pairings.assign(coordinator, pairing, eve.id, TODAY)
    pairings.assign(coordinator, pairing, gus.id, TODAY)
    pairings.attest(pairing, dict.fromkeys(pairings.ATTESTATIONS, True))
    pairings.log_contact(pairing, None, "call", "reached")
    db.session.commit()
    assert pairing.status == Status.ACTIVE and pairing.first_contact_at is not None


def test_a_supporter_at_capacity_or_without_the_latest_guidelines_is_not_asked(roster, coordinator):
    (eve,) = make_supporters(roster, roster.peer1, capacity=1)
    matched(roster, coordinator, eve, member=roster.other)
    refer(roster.phys)
    pairing = open_pairing(roster.phys)
    assert [c.not_eligible for c in pairings.candidates(pairing, TODAY)] == [("at capacity",)]
    supporters.change(eve, capacity=2)
    guideline = supporters.publish_guidelines("Act within these guidelines.")
    db.session.commit()
    assert [c.not_eligible for c in pairings.candidates(pairing, TODAY)] == [
        ("has not acknowledged the latest guidelines",)]
    supporters.acknowledge(eve, guideline.version)
    db.session.commit()
    assert [c.eligible for c in pairings.candidates(pairing, TODAY)] == [True]
    supporters.publish_guidelines("Version two.")
    db.session.commit()
    with pytest.raises(Conflict):
        supporters.acknowledge(eve, guideline.version)  # an old version cannot be acknowledged


def test_overdue_pairing_reminds_the_supporter_then_escalates_once_each(app, roster, coordinator, clock,
                                                                           monkeypatch):
    from docbox_outreach.cases import host
    monkeypatch.setattr(host, "coordinator_emails", lambda: ["coord@hospital.test"])
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    clock.advance(hours=47, minutes=59)
    assert timers.run_pass(clock()) == {"closed_idle": 0, "reminded": 0, "escalated": 0, "reoffered": 0, "purged": 0, "mail_deleted": 0,
                                        "released": 0}
    clock.advance(minutes=1)
    assert timers.run_pass(clock())["reminded"] == 1
    assert timers.run_pass(clock())["reminded"] == 0           # once
    clock.advance(hours=24)
    assert timers.run_pass(clock())["escalated"] == 1
    assert timers.run_pass(clock())["escalated"] == 0
    recipients = [(r, m["Subject"]) for r, m in mails()]
    assert [r for r, _ in recipients] == ["eve@hospital.test", "eve@hospital.test", "coord@hospital.test"]
    escalation = mails()[-1][1].get_body(("plain",)).get_content()
    assert "Cy" not in escalation and "Eve" not in escalation   # the page names them, not the mail
    assert db.session.get(Pairing, pairing.id).escalated_at == clock()


def test_a_logged_contact_stops_the_timers(roster, coordinator, clock):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    clock.advance(hours=5)
    pairings.log_contact(pairing, None, "text", "no_answer")
    db.session.commit()
    clock.advance(days=10)
    assert timers.run_pass(clock())["reminded"] == 0


def test_business_hours_pause_the_window_over_the_weekend(app, roster, coordinator, clock):
    app.config["FIRST_CONTACT_BUSINESS_HOURS"] = True
    app.config["FIRST_CONTACT_HOURS"] = 24
    clock.set(datetime(2026, 3, 6, 20, 0, tzinfo=timezone.utc))   # Friday 15:00 in New York
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    assert pairing.due_at == datetime(2026, 3, 9, 19, 0, tzinfo=timezone.utc)  # Monday 15:00 (DST began Sunday)
    clock.set(datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc))
    assert timers.run_pass(clock())["reminded"] == 0


def test_reoffer_date_only_after_a_decline_or_deferral(roster, coordinator, clock):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    with pytest.raises(ValidationProblem):
        pairings.log_contact(pairing, None, "call", "reached", reoffer_on=date(2026, 9, 1))
    db.session.rollback()
    pairings.log_contact(pairing, None, "call", "deferred", reoffer_on=date(2026, 9, 1))
    db.session.commit()
    assert pairing.reoffer_on == date(2026, 9, 1) and pairing.status == Status.ACTIVE
    clock.advance(hours=1)
    pairings.close(pairing, "declined")
    assert pairing.reoffer_on is None and pairing.closing_reason == "declined"
    with pytest.raises(Conflict):
        pairings.close(pairing, "support_given")


@pytest.mark.parametrize("field, channel, outcome", [("channel", "pigeon", "reached"),
                                                     ("outcome", "call", "he told me about the patient")])
def test_contacts_take_only_fixed_channels_and_outcomes(roster, coordinator, field, channel, outcome):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    with pytest.raises(ValidationProblem) as refused:
        pairings.log_contact(pairing, None, channel, outcome)
    assert list(refused.value.errors) == [field] and pairing.contacts == []


def test_the_physicians_division_preference_orders_the_supporters(roster, coordinator):
    eve, fay = make_supporters(roster, roster.peer1, roster.peer2)   # Nephrology, Cardiology (Cy's division)
    refer(roster.phys)
    pairing = open_pairing(roster.phys)
    pairings.set_preference(coordinator, pairing, "same")
    assert names(pairings.candidates(pairing, TODAY)) == [roster.peer2.id, roster.peer1.id]
    pairings.set_preference(coordinator, pairing, "other")
    assert names(pairings.candidates(pairing, TODAY)) == [roster.peer1.id, roster.peer2.id]
    with pytest.raises(ValidationProblem):
        pairings.set_preference(coordinator, pairing, "he prefers a woman from surgery")
