"""Forgetting on schedule, and a survey whose answers link to no one."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, select

from docbox_outreach.cases import pairings, retention, survey, timers
from docbox_outreach.cases.host import OutgoingMail, db
from docbox_outreach.cases.models import Contact, Pairing, Referral, Summary, SurveyAnswer, SurveyLink
from docbox_shared import tokens
from docbox_shared.problems import NotFound, ValidationProblem

from .helpers import make_supporters, matched


def close_after_contacts(pairing, clock, *outcomes, reason="support_given"):
    for outcome in outcomes:
        clock.advance(hours=10)
        pairings.log_contact(pairing, None, "call", outcome)
    pairings.close(pairing, reason)
    db.session.commit()


def test_closed_pairing_is_forgotten_after_the_retention_and_a_deidentified_row_stays(roster, coordinator, clock):
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    close_after_contacts(pairing, clock, "no_answer", "accepted")
    closed_at, pairing_id = pairing.closed_at, pairing.id
    clock.set(closed_at + timedelta(days=364))
    assert retention.purge(clock())["purged"] == 0
    assert db.session.get(Pairing, pairing_id) is not None
    clock.set(closed_at.replace(year=closed_at.year + 1))          # 12 months to the second
    result = timers.run_pass(clock())
    assert result["purged"] == 1 and result["mail_deleted"] == 0   # the assignment mail was never sent
    db.session.expire_all()
    assert db.session.get(Pairing, pairing_id) is None
    assert db.session.scalars(select(Contact)).all() == [] and db.session.scalars(select(Referral)).all() == []
    [summary] = db.session.scalars(select(Summary)).all()
    assert (summary.trigger, summary.quarter, summary.hours_to_first_contact, summary.contacts, summary.outcome,
            summary.closing_reason) == ("quality_review", "2026-Q1", 10, 2, "accepted", "support_given")
    assert {c.name for c in Summary.__table__.columns} == {
        "id", "trigger", "quarter", "hours_to_first_contact", "contacts", "outcome", "closing_reason"}


def test_sent_program_mail_is_deleted_with_its_recipient(roster, coordinator):
    (eve,) = make_supporters(roster, roster.peer1)
    matched(roster, coordinator, eve)
    row = db.session.scalars(select(OutgoingMail)).one()
    row.status, row.body = "sent", None
    db.session.commit()
    assert retention.purge(db.session.get(Pairing, 1).assigned_at)["mail_deleted"] == 1
    assert db.session.scalars(select(OutgoingMail)).all() == []


def test_a_new_referral_after_the_purge_starts_afresh(roster, coordinator, clock):
    from .helpers import TODAY, open_pairing, refer
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    close_after_contacts(pairing, clock, "declined", reason="declined")
    clock.advance(days=400)
    retention.purge(clock())
    refer(roster.phys, "litigation", TODAY)
    fresh = open_pairing(roster.phys)
    assert (fresh.trigger, len(fresh.referrals), fresh.contacts) == ("litigation", 1, [])


def survey_tokens():
    """The tokens of the survey mails still queued (what the physicians received)."""
    from email import message_from_bytes, policy
    found = []
    for row in db.session.scalars(select(OutgoingMail).where(OutgoingMail.key.like("case:survey:%"))):
        text = message_from_bytes(row.body, policy=policy.default).get_body(("plain",)).get_content()
        found.append((row.recipient, text.split("/cases/survey/")[1].split()[0]))
    return found


def accepted_pairings(roster, coordinator, clock, n):
    peers = make_supporters(roster, roster.peer1, roster.peer3, capacity=5)
    members = [roster.member(f"Doc{i} Test", "Surgery") for i in range(n)] + [roster.other]
    for i, member in enumerate(members):
        pairing = matched(roster, coordinator, peers[i % 2], member=member)
        clock.advance(hours=1)
        pairings.log_contact(pairing, None, "call", "accepted" if member is not roster.other else "declined")
    db.session.commit()
    return members[:n]


def test_survey_links_go_to_those_who_accepted_and_work_once(roster, coordinator, clock):
    accepted = accepted_pairings(roster, coordinator, clock, 3)
    survey_round = survey.open_round(date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1))
    db.session.commit()
    sent = survey_tokens()
    assert sorted(r for r, _ in sent) == sorted(m.email for m in accepted)   # not the one who declined
    assert survey_round.links_sent == 3
    token = sent[0][1]
    survey.answer(token, True, True, {"timely": 4})
    db.session.commit()
    with pytest.raises(NotFound):
        survey.answer(token, False, False, {})
    with pytest.raises(ValidationProblem):
        survey.answer(sent[1][1], True, "yes", {"timely": 9})
    db.session.rollback()
    assert survey.results(survey_round).shown is False          # 1 answer, K is 3
    survey.close_round(survey_round)
    db.session.commit()
    with pytest.raises(NotFound):                                # revoked with the round
        survey.answer(sent[1][1], True, True, {})


def test_no_join_order_or_log_line_connects_an_answer_to_its_sender(app, roster, coordinator, clock, caplog):
    accepted = accepted_pairings(roster, coordinator, clock, 4)
    caplog.set_level(logging.DEBUG)
    survey_round = survey.open_round(date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1))
    db.session.commit()
    sent = survey_tokens()
    hashes_before = set(db.session.scalars(select(SurveyLink.token_hash)))
    assert hashes_before == {tokens.hash_token(t) for _, t in sent}
    # The mail rows name the recipient but hold neither the token's hash nor its start.
    for row in db.session.scalars(select(OutgoingMail).where(OutgoingMail.key.like("case:survey:%"))):
        assert all(t[:8] not in row.key and tokens.hash_token(t) not in row.key for _, t in sent)
    # Answers in the order the mails went out, each different, so any order-preserving trace would show.
    for i, (_, token) in enumerate(sent):
        with app.test_request_context(f"/cases/survey/{token}", method="POST"):
            survey.answer(token, i % 2 == 0, True, {"timely": i + 1})
            db.session.commit()
    # No column of an answer can hold a person, a pairing, a link or a time; none refers to another table
    # but its round.
    columns = {c.name: c for c in SurveyAnswer.__table__.columns}
    assert set(columns) == {"id", "round_id", "valuable", "recommend", "timely", "understood", "safe"}
    assert [fk.column.table.name for fk in SurveyAnswer.__table__.foreign_keys] == ["case_survey_rounds"]
    assert not any(c.type.python_type.__name__ in ("datetime", "date") for c in columns.values())
    # Links are gone once used: nothing is left to compare with the mails.
    assert db.session.scalars(select(SurveyLink)).all() == []
    # Ids are random: ordered by id, the answers are not in the order they came (4! orders, one of them the
    # sending order); the stored ids carry no sequence.
    answers = db.session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.id)).all()
    assert all(len(a.id) == 32 for a in answers)
    assert inspect(SurveyAnswer).primary_key[0].autoincrement in (False, "auto") and \
        SurveyAnswer.__table__.c.id.type.python_type is str
    # No log line names a physician, an email, a token or its hash.
    text = "\n".join(r.getMessage() + str(vars(r)) for r in caplog.records)
    for member in accepted:
        assert member.name not in text and member.email not in text
    for _, token in sent:
        assert token not in text and tokens.hash_token(token) not in text
    assert survey.results(survey_round).shown is False   # not while answers can still come
    survey.close_round(survey_round)
    db.session.commit()
    results = survey.results(survey_round)
    # 2 of 4 found it valuable: 2 is below K = 3, so it is withheld (and so would 2 who did not be).
    assert (results.shown, results.answers, results.valuable, results.recommend) == (True, 4, None, 4)
    assert results.item_means == {"timely": 2.5, "understood": None, "safe": None}


def test_a_purged_pairings_number_in_the_audit_never_names_a_later_pairing(roster, coordinator, clock):
    # The audit keeps "coord read pairing N" for a year; the pairing itself goes 12 months after closing. On
    # SQLite a table without AUTOINCREMENT hands the highest deleted id to the next row: the old line would
    # then say the coordinator read the next physician's pairing.
    from docbox_outreach.cases.host import ReadAudit

    from .helpers import TODAY, open_pairing, refer
    (eve,) = make_supporters(roster, roster.peer1)
    pairing = matched(roster, coordinator, eve)
    pairings.for_coordinator(coordinator, pairing.id)
    close_after_contacts(pairing, clock, "accepted")
    read_id = pairing.id
    clock.advance(days=400)
    assert retention.purge(clock())["purged"] == 1
    refer(roster.other, "litigation", TODAY)
    later = open_pairing(roster.other)
    assert later.id != read_id
    lines = db.session.scalars(select(ReadAudit).where(ReadAudit.page == "cases.pairing")).all()
    assert [line.subject_id for line in lines] == [read_id]
    assert db.session.get(Pairing, read_id) is None            # the line names a pairing that is gone, no other
