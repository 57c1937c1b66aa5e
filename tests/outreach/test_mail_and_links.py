"""The program's mail, delivered into a real SMTP server, and what a mentee does with their link."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from docbox_outreach.models import Member, OutgoingMail, db
from docbox_outreach.oneonone.mailing import reminders_due
from docbox_outreach.oneonone.models import Assignment, MenteeLink
from support.outreach import (
    COORDINATOR,
    as_staff,
    link_of,
    load_roster,
    mailing,
    open_round,
    send_mail,
    two_mentors_and,
)

ROSTER = two_mentors_and(6)


@pytest.fixture
def app_config(smtp):
    return mailing(smtp)


@pytest.fixture
def app(app):
    load_roster(app, ROSTER, mentors=("m1@example.org", "m2@example.org"))
    return app


def _mentees(app, number):
    with app.app_context():
        return set(db.session.scalars(select(Member.email).join(Assignment, Assignment.mentee_id == Member.id)
                                      .where(Assignment.round.has(number=number))))


def test_each_mentor_gets_one_neutral_mail_with_their_list_and_bodies_are_deleted_once_sent(app, client, smtp):
    open_round(client, "2026-03-20")
    send_mail(app)
    for mentor in ("m1@example.org", "m2@example.org"):
        got = smtp.to(mentor)
        mentor_mail = [m for m in got if "/oneonone/mine" in m.text]
        assert len(mentor_mail) == 1 and mentor_mail[0]["Subject"] == "Doc Box outreach"
        assert "Fellow" not in mentor_mail[0].text  # the list is behind the sign-in, not in the mail
    assert len(smtp.messages) == 2 + 8
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
            OutgoingMail.body.is_not(None))) == 0


def test_every_round_mail_arrives_dated_so_strict_providers_take_it(app, client, smtp, clock):
    """Gmail refuses a message without a Date ("not RFC 5322 compliant"): no mentor or mentee would hear
    of the round, nor of a reminder."""
    open_round(client, "2026-03-20")
    opened = clock()
    clock.advance(days=15)
    with app.app_context():
        reminders_due()
    reminded = clock()
    send_mail(app)
    dates = [m.origination_date() for m in smtp.messages]
    assert len(dates) > 10 and set(dates) == {opened, reminded}


def test_a_mentee_link_is_from_the_program_stored_hashed_and_opts_out_for_good_until_withdrawn(app, client, smtp,
                                                                                                clock):
    open_round(client, "2026-03-20")
    send_mail(app)
    token = link_of(smtp, "f1@example.org")
    assert len(token) >= 22 and "Mentor" not in smtp.to("f1@example.org")[-1]["From"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MenteeLink).where(MenteeLink.token_hash == token)) == 0
    page = client.get(f"/oneonone/link/{token}")
    assert page.status_code == 200 and "Fellow 1" in page.text and "Rounds" not in page.text
    assert client.post(f"/oneonone/link/{token}", data={"action": "for_good"}).status_code == 303
    assert "do not contact me again" not in client.get(f"/oneonone/link/{token}").text
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    clock.advance(days=30)
    open_round(client, "2026-04-30")
    assert "f1@example.org" not in _mentees(app, 2)
    # the link outlives its round for someone opted out for good, so they can come back
    assert client.post(f"/oneonone/link/{token}", data={"action": "withdraw"}).status_code == 303
    client.post("/oneonone/rounds/2/close", headers=COORDINATOR)
    clock.advance(days=30)
    open_round(client, "2026-05-30")
    assert "f1@example.org" in _mentees(app, 3)


def test_opting_out_this_round_takes_the_mentee_off_the_mentors_list_and_the_link_dies_with_the_round(
        app, client, smtp, clock):
    open_round(client, "2026-03-20")
    send_mail(app)
    token = link_of(smtp, "f2@example.org")
    with app.app_context():
        f2 = db.session.scalar(select(Member.id).where(Member.email == "f2@example.org"))
        mentor = db.session.scalar(select(Member.email).join(Assignment, Assignment.mentor_id == Member.id)
                                   .where(Assignment.mentee_id == f2))
    assert "Fellow 2" in client.get("/oneonone/mine", headers=as_staff(mentor)).text
    client.post(f"/oneonone/link/{token}", data={"action": "this_round"})
    assert "Fellow 2" not in client.get("/oneonone/mine", headers=as_staff(mentor)).text
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    assert client.get(f"/oneonone/link/{token}").status_code == 404
    clock.advance(days=30)
    open_round(client, "2026-04-30")
    assert "f2@example.org" in _mentees(app, 2)  # this round only


def test_a_mentee_asking_for_another_mentor_gets_one_next_round(app, client, smtp, clock):
    open_round(client, "2026-03-20")
    send_mail(app)
    with app.app_context():
        first = dict(db.session.execute(select(Member.email, Assignment.mentor_id)
                                        .join(Assignment, Assignment.mentee_id == Member.id)
                                        .where(Assignment.round.has(number=1))).all())
    client.post(f"/oneonone/link/{link_of(smtp, 'f3@example.org')}", data={"action": "another"})
    assert "Fellow 3 (f3@example.org), now with Mentor" in client.get("/oneonone/rounds/1", headers=COORDINATOR).text
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    clock.advance(days=30)
    open_round(client, "2026-04-30")
    with app.app_context():
        second = dict(db.session.execute(select(Member.email, Assignment.mentor_id)
                                         .join(Assignment, Assignment.mentee_id == Member.id)
                                         .where(Assignment.round.has(number=2))).all())
    assert second["f3@example.org"] != first["f3@example.org"]


def test_an_unknown_or_bad_link_is_a_clear_page_not_an_error(client):
    page = client.get("/oneonone/link/" + "A" * 43)
    assert page.status_code == 404 and "not valid any more" in page.text


def test_the_reminder_lists_only_those_not_reached_yet(app, client, smtp, clock):
    open_round(client, "2026-03-20")
    with app.app_context():
        row = db.session.scalar(select(Assignment).join(Member, Member.id == Assignment.mentor_id)
                                .where(Member.email == "m1@example.org").order_by(Assignment.id))
        reached = db.session.get(Member, row.mentee_id).name
        others = set(db.session.scalars(select(Member.name).join(Assignment, Assignment.mentee_id == Member.id)
                                        .where(Assignment.mentor_id == row.mentor_id))) - {reached}
    client.post(f"/oneonone/mine/{row.id}", data={"channel": "call", "outcome": "reached"},
                headers=as_staff("m1@example.org"))
    with app.app_context():
        assert reminders_due() is False  # not yet: 3 days before the due date
    clock.advance(days=15)
    with app.app_context():
        assert reminders_due() is True and reminders_due() is False  # once
    send_mail(app)
    reminder = [m for m in smtp.to("m1@example.org") if "Not reached yet" in m.text][0]
    assert reached not in reminder.text and all(name in reminder.text for name in others)
    assert reminder["Subject"] == "Doc Box outreach"


def test_a_name_beyond_ascii_arrives_as_written(app, client, smtp):
    with app.app_context():
        from docbox_outreach.roster import save_member
        save_member({"name": "Zoë Ñandú", "email": "zoe@example.org", "division": "Surgery", "leadership": False})
    open_round(client, "2026-03-20")
    send_mail(app)
    [message] = smtp.to("zoe@example.org")
    assert "Dear Zoë Ñandú," in message.text and message["Subject"] == "Doc Box outreach"


def test_a_members_link_dies_when_they_are_marked_as_left(app, client, smtp):
    open_round(client, "2026-03-20")
    send_mail(app)
    token = link_of(smtp, "f4@example.org")
    assert client.get(f"/oneonone/link/{token}").status_code == 200
    with app.app_context():
        member_id = db.session.scalar(select(Member.id).where(Member.email == "f4@example.org"))
    client.post(f"/roster/{member_id}/status", data={"active": "0"}, headers=COORDINATOR)
    assert client.get(f"/oneonone/link/{token}").status_code == 404
    assert client.post(f"/oneonone/link/{token}", data={"action": "for_good"}).status_code == 404


def test_a_colleague_who_left_mid_round_leaves_the_mentors_list_and_reminder(app, client, smtp, clock):
    """Marked as left during a round: their mentor is not asked (list, API, reminder) to reach them."""
    open_round(client, "2026-03-20")
    with app.app_context():
        row = db.session.scalar(select(Assignment).join(Member, Member.id == Assignment.mentor_id)
                                .where(Member.email == "m1@example.org").order_by(Assignment.id))
        left = db.session.get(Member, row.mentee_id)
        left_id, left_name = left.id, left.name
    assert left_name in client.get("/oneonone/mine", headers=as_staff("m1@example.org")).text
    client.post(f"/roster/{left_id}/status", data={"active": "0"}, headers=COORDINATOR)
    client.get("/roster", headers=COORDINATOR)  # shows (and so clears) the coordinator's "marked as left"
    assert left_name not in client.get("/oneonone/mine", headers=as_staff("m1@example.org")).text
    listed = client.get("/api/v1/oneonone/mine", headers=as_staff("m1@example.org")).get_json()
    assert left_name not in str(listed)
    clock.advance(days=15)
    with app.app_context():
        assert reminders_due() is True
    send_mail(app)
    reminder = [m for m in smtp.to("m1@example.org") if "Not reached yet" in m.text][0]
    assert left_name not in reminder.text


def test_no_log_line_holds_an_email_address_a_name_or_a_link_token(app, client, smtp, caplog):
    from docbox_shared.frame import JsonFormatter

    caplog.set_level("DEBUG")
    open_round(client, "2026-03-20")
    send_mail(app)
    token = link_of(smtp, "f1@example.org")
    client.get(f"/oneonone/link/{token}")
    client.post(f"/oneonone/link/{token}", data={"action": "this_round"})
    client.get("/oneonone/link/" + "B" * 43)
    client.get("/oneonone/rounds/1", headers=COORDINATOR)
    client.get("/oneonone/mine", headers=as_staff("m1@example.org"))
    formatter = JsonFormatter()
    # Every line Doc Box writes (the test's SMTP server logs what it receives: it is not Doc Box).
    lines = "\n".join(formatter.format(record) for record in caplog.records if record.name != "mail.log")
    assert "/oneonone/link/<token>" in lines  # the access log names the route
    assert token not in lines and "B" * 43 not in lines
    assert "@example.org" not in lines and "Fellow" not in lines


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_the_coordinator_sees_on_the_start_page_that_the_programs_mail_bounced_numbers_only(app, client, smtp):
    assert "nothing failed or bounced in the last 7 days" in _text(client.get("/", headers=COORDINATOR))
    smtp.rcpt_reply = "550 no such user"  # the hospital's mail server refuses every address
    open_round(client, "2026-03-20")
    send_mail(app)
    page = _text(client.get("/", headers=COORDINATOR))
    assert "Bounced 10 refused by the recipient's server in the last 7 days" in page  # 2 mentors, 8 mentees
    assert "Check the work email addresses on the roster" in page
    assert "@example.org" not in page.replace("coordinator@example.org", "")  # numbers, never a recipient
    assert "The program's mail" not in _text(client.get("/", headers=as_staff("m1@example.org")))  # a mentor
