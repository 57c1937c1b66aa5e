"""The one-on-one program attacked the way an outside checker would: whole mailboxes, replayed links,
years ahead, every answer collected. Each test is a fault that was found this way (or a rule that held).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from docbox_outreach.models import Member, OutgoingMail, db
from docbox_outreach.oneonone import operations as ops
from docbox_outreach.oneonone.mailing import reminders_due
from docbox_outreach.oneonone.models import Assignment, MenteeLink, OptOut
from docbox_outreach.roster import import_roster
from support.outreach import (
    COORDINATOR,
    VIEWER,
    as_staff,
    link_of,
    load_roster,
    mailing,
    open_round,
    send_mail,
    two_mentors_and,
)
from support.smtp import DISPLAY_NAMES, mailbox_as_read, written_mailbox

# Two mentors outside every fellow's line, six fellows: every swap is allowed.
ROSTER = two_mentors_and(6)


@pytest.fixture
def app_config(smtp):
    return {**mailing(smtp), "MIN_CELL": 2}


@pytest.fixture
def app(app):
    load_roster(app, ROSTER, mentors=("m1@example.org", "m2@example.org"))
    return app


def _rows(app):
    """Each mentee's email -> (assignment id, mentor email) in the open round."""
    with app.app_context():
        email = dict(db.session.execute(select(Member.id, Member.email)).all())
        return {email[a.mentee_id]: (a.id, email[a.mentor_id]) for a in db.session.scalars(
            select(Assignment).where(Assignment.round_id == ops.open_round().id))}


def _reminder_names(smtp, mentor):
    [reminder] = [m for m in smtp.to(mentor) if "Not reached yet" in m.text]
    return set(re.findall(r"^- (.+?)\r?$", reminder.text, re.M))


def test_a_swapped_in_mentors_reminder_does_not_tell_that_the_old_mentor_reached_the_mentee(app, client, smtp,
                                                                                             clock):
    open_round(client, "2026-03-20")
    rows = _rows(app)
    a = next(e for e, (_, m) in rows.items() if m == "m1@example.org" and e.startswith("f"))
    b = next(e for e, (_, m) in rows.items() if m == "m2@example.org" and e.startswith("f"))
    # Mentor 1 reaches A; then A and B exchange mentors: A is now Mentor 2's, who never reached A.
    client.post(f"/oneonone/mine/{rows[a][0]}", data={"channel": "call", "outcome": "reached"},
                headers=as_staff("m1@example.org"))
    assert client.post("/oneonone/rounds/1/swap", data={"a": a, "b": b}, headers=COORDINATOR).status_code == 302
    clock.advance(days=15)
    with app.app_context():
        assert reminders_due() is True
    send_mail(app)
    a_name = "Fellow " + a[1]
    # Mentor 2's page shows A with no attempt; their reminder must say the same (not drop A because of
    # an outcome Mentor 1 logged).
    assert a_name in client.get("/oneonone/mine", headers=as_staff("m2@example.org")).text
    assert a_name in _reminder_names(smtp, "m2@example.org")


def _report(client):
    return client.get("/api/v1/oneonone/rounds/1/report", headers=COORDINATOR).json


def test_a_closed_rounds_numbers_never_change_whatever_its_links_do_afterwards(app, client, smtp, clock):
    open_round(client, "2026-03-20")
    send_mail(app)
    token, other = link_of(smtp, "f1@example.org"), link_of(smtp, "f2@example.org")
    assert client.post(f"/oneonone/link/{token}", data={"action": "for_good"}).status_code == 303
    client.post(f"/oneonone/link/{other}", data={"action": "for_good"})
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    clock.advance(minutes=1)
    exact, released = _report(client), client.get("/oneonone/rounds/1.csv", headers=VIEWER).data
    assert exact["opted_out"] == 2
    # The link outlives the round to withdraw; then a replayed or crafted form tries every action.
    for action in ("withdraw", "this_round", "another", "for_good", "withdraw", "this_round"):
        answer = client.post(f"/oneonone/link/{token}", data={"action": action})
        assert answer.status_code in (303, 422)
        assert _report(client) == exact, action
        assert client.get("/oneonone/rounds/1.csv", headers=VIEWER).data == released, action
    # Buttons of a round that is over are refused with the reason, not "Noted".
    page = client.post(f"/oneonone/link/{token}", data={"action": "this_round"})
    assert page.status_code == 422 and "round is over" in page.text


def test_a_rounds_numbers_read_the_same_after_the_purge_as_before(app, client, smtp, clock):
    open_round(client, "2026-03-20")
    rows = _rows(app)
    for i, (email, (row, mentor)) in enumerate(sorted(rows.items())):  # noqa: B007
        if i < 3:
            client.post(f"/oneonone/mine/{row}", data={"channel": "call", "outcome": "reached"},
                        headers=as_staff(mentor))
    # The round stays open past its due date; a last try is logged on day 40 (week 6), then it closes.
    clock.advance(days=40)
    email, (row, mentor) = sorted(rows.items())[-1]
    assert client.post(f"/oneonone/mine/{row}", data={"channel": "text", "outcome": "attempted"},
                       headers=as_staff(mentor)).status_code == 303
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    before = (client.get("/oneonone/rounds/1.csv", headers=VIEWER).data, _report(client))
    clock.advance(days=91)
    with app.app_context():
        assert ops.purge_due() == 1
    after = (client.get("/oneonone/rounds/1.csv", headers=VIEWER).data, _report(client))
    assert after[0] == before[0]
    assert {k: v for k, v in after[1].items() if k != "mentors"} == {
        k: v for k, v in before[1].items() if k != "mentors"}


def test_nothing_naming_a_person_of_a_purged_round_is_left_in_the_mail_queue_or_the_opt_outs(app, client, smtp,
                                                                                              clock):
    open_round(client, "2026-03-20")
    send_mail(app)
    client.post(f"/oneonone/link/{link_of(smtp, 'f1@example.org')}", data={"action": "this_round"})
    keeper = link_of(smtp, "f2@example.org")
    client.post(f"/oneonone/link/{keeper}", data={"action": "for_good"})
    clock.advance(days=15)
    with app.app_context():
        reminders_due()
    send_mail(app)
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    client.post(f"/oneonone/link/{keeper}", data={"action": "withdraw"})   # back in: nothing left to keep
    for _ in range(3):   # years ahead, with the worker's passes in between
        clock.advance(days=400)
        with app.app_context():
            ops.purge_due()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0
        assert db.session.scalar(select(func.count()).select_from(OptOut)) == 0
        assert db.session.scalar(select(func.count()).select_from(MenteeLink)) == 0
    assert client.get(f"/oneonone/link/{keeper}").status_code == 404


def test_an_opt_out_for_good_survives_the_purge_with_its_link(app, client, smtp, clock):
    open_round(client, "2026-03-20")
    send_mail(app)
    token = link_of(smtp, "f3@example.org")
    client.post(f"/oneonone/link/{token}", data={"action": "for_good"})
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    clock.advance(days=800)
    with app.app_context():
        ops.purge_due()
    open_round(client, "2028-06-30")
    assert "f3@example.org" not in _rows(app)
    assert client.post(f"/oneonone/link/{token}", data={"action": "withdraw"}).status_code == 303


def _viewer_answers(client, round_id):
    """Every answer a viewer gets of a round (page, CSV, API), each as {label: value as shown}."""
    page = client.get(f"/oneonone/rounds/{round_id}", headers=VIEWER).text
    csv_text = client.get(f"/oneonone/rounds/{round_id}.csv", headers=VIEWER).data.decode("utf-8-sig")
    api = client.get(f"/api/v1/oneonone/rounds/{round_id}/report", headers=VIEWER).json
    return [{label.lower(): value for label, value in re.findall(r'<th scope="row">(.*?)</th><td[^>]*>(.*?)</td>', page)},
            dict(line.split(",", 1) for line in csv_text.split("\r\n")[1:] if line.count(",") == 1),
            {label: str(value) for label, value in api.items()}]


def _possible_assigned(answers, headcount):
    """Every number of mentees the round may have had, as far as everything a viewer saw allows: the
    count itself, or a rate over it with its shown numerator (rates are shown rounded to whole percents)."""
    def fits(assigned, answer):
        if answer.get("assigned", "withheld") not in ("withheld", str(assigned)):
            return False
        for rate, part in (("reach rate", "reached"), ("coverage", "attempted")):
            shown, count = answer.get(rate, ""), answer.get(part, "withheld")
            if shown.endswith("%") and count.isdigit() and (
                    not assigned or f"{int(count) / assigned * 100:.0f}%" != shown):
                return False
        return True
    return {a for a in range(headcount + 1) if all(fits(a, answer) for answer in answers)}


def test_a_viewer_who_knows_the_headcount_cannot_work_out_a_withheld_opt_out_from_the_next_rounds_size(
        app, client, smtp, clock):
    # Leadership knows the department's headcount at each opening (8 here: nobody hired or left), and
    # a member opted out for good is in no later round. One fellow opts out for good in round 1.
    headcount = 8
    open_round(client, "2026-03-20")
    send_mail(app)
    client.post(f"/oneonone/link/{link_of(smtp, 'f1@example.org')}", data={"action": "for_good"})
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    assert all(a.get("opted out") == "withheld" for a in _viewer_answers(client, 1))
    clock.advance(days=1)
    open_round(client, "2026-04-20")
    for _mentee, (row, mentor) in sorted(_rows(app).items())[:2]:
        client.post(f"/oneonone/mine/{row}", data={"channel": "call", "outcome": "reached"},
                    headers=as_staff(mentor))
    client.post("/oneonone/rounds/2/close", headers=COORDINATOR)
    # Round 1 started with nobody opted out; whoever of the headcount is missing from round 2 opted out
    # for good in round 1. The viewer must not be able to tell whether that is nobody or someone.
    missing = {headcount - a for a in _possible_assigned(_viewer_answers(client, 2), headcount)}
    assert {0, 1} <= missing


def test_an_address_beyond_ascii_is_refused_by_line_or_delivered_never_stuck_in_the_queue(app, client, smtp):
    from docbox_shared.problems import ValidationProblem

    with app.app_context():
        # An international local part: no envelope without SMTPUTF8 carries it (the mail would never go).
        with pytest.raises(ValidationProblem) as refused:
            import_roster((ROSTER + "Zoë Ñandú,zoë@example.org,Surgery\n").encode())
        assert list(refused.value.errors) == ["line 10"]
        # An international domain is kept in its IDNA form, which every server takes.
        import_roster((ROSTER + "Bo Bücher,bo@bücher.example,Surgery\n").encode())
    page = client.post("/roster/new", data={"name": "Ça Va", "email": "ça@example.org", "division": "Surgery"},
                       headers=COORDINATOR)
    assert page.status_code == 422
    answer = client.post("/api/v1/members", json={"name": "Ça Va", "email": "ça@example.org", "division": "Surgery"},
                         headers=COORDINATOR)
    assert answer.status_code == 422 and "email" in answer.json["errors"]
    open_round(client, "2026-03-20")
    send_mail(app)
    assert "bo@xn--bcher-kva.example" in {r for m in smtp.messages for r in m.rcpt_tos}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
            OutgoingMail.status != "sent")) == 0


@pytest.mark.parametrize("name", ["Équipe Doc Box", *DISPLAY_NAMES])
def test_a_sender_name_beyond_ascii_keeps_its_address_in_every_mail(app, client, smtp, clock, name):
    """Round openings (written as bytes in bulk) and reminders (the email package) alike."""
    app.config["MAIL_FROM"] = written_mailbox(name, "docbox@example.org")
    open_round(client, "2026-03-20")
    clock.advance(days=15)
    with app.app_context():
        reminders_due()
    send_mail(app)
    kinds = {"opening": 0, "reminder": 0}
    for message in smtp.messages:
        assert mailbox_as_read(message, "From") == (name, "docbox@example.org")
        kinds["reminder" if "Not reached yet" in message.text else "opening"] += 1
    assert kinds["opening"] == 8 + 2 and kinds["reminder"] >= 1   # every mentee, every mentor


def test_a_mentor_cannot_tell_that_their_mentee_asked_the_program_for_another_mentor(app, client, smtp):
    open_round(client, "2026-03-20")
    send_mail(app)
    rows = _rows(app)
    mentee = next(e for e in rows if e.startswith("f"))
    mentor = as_staff(rows[mentee][1])
    name = "Fellow " + mentee[1]

    def what_the_mentor_sees():
        page = client.get("/oneonone/mine", headers=mentor).text
        return client.get("/api/v1/oneonone/mine", headers=mentor).json, f"Another mentor for {name}" in page

    before = what_the_mentor_sees()
    client.post(f"/oneonone/link/{link_of(smtp, mentee)}", data={"action": "another"})
    assert what_the_mentor_sees() == before
    assert before[1]   # the mentor may still ask, which changes nothing the mentee chose
