"""Rounds of the one-on-one program as the coordinator runs them and mentors work them."""

from __future__ import annotations

from datetime import date
from itertools import combinations, product

import pytest
from sqlalchemy import func, select

from docbox_outreach.domain.assignment import in_line
from docbox_outreach.models import Member, OutgoingMail, ReadAudit, db
from docbox_outreach.oneonone import operations as ops
from docbox_outreach.oneonone.models import Assignment, Attempt, MenteeLink, Round
from support.outreach import COORDINATOR, VIEWER, as_staff, load_roster, open_round

# A chair, two mentors reporting to the chair and one outside the chair's line (who can mentor the
# chair), and eight faculty under the mentors.
ROSTER = "name,work email,division,reports to,leadership\n" + "\n".join(
    ["Chair Ada,chair@example.org,Medicine,,yes", "Mentor 3,m3@example.org,Surgery,,"]
    + [f"Mentor {i},m{i}@example.org,Medicine,chair@example.org," for i in (1, 2)]
    + [f"Fellow {i},f{i}@example.org,Surgery,m{1 + i % 3}@example.org," for i in range(8)]) + "\n"
DUE = "2026-03-20"
MENTORS = [f"m{i}@example.org" for i in (1, 2, 3)]


@pytest.fixture
def roster(app):
    return load_roster(app, ROSTER, MENTORS)


def _pairs(app, number=1):
    with app.app_context():
        return dict(db.session.execute(select(Assignment.mentee_id, Assignment.mentor_id).join(Round)
                                       .where(Round.number == number)).all())


def _open(client, **form):
    return open_round(client, **{"due_on": DUE, **form})


def test_opening_a_round_gives_everyone_one_mentor_outside_their_line_and_mails_them(app, client, roster):
    answer = _open(client)
    assert answer.status_code == 302
    pairs = _pairs(app)
    assert set(pairs) == set(roster.values())  # the chair and the mentors get a mentor too
    chair = roster["chair@example.org"]
    with app.app_context():
        boss = {m.id: m.reports_to for m in db.session.scalars(select(Member))}
        email = {m.id: m.email for m in db.session.scalars(select(Member))}
        for mentee, mentor in pairs.items():
            assert mentee != mentor and boss[mentee] != email[mentor] and boss[mentor] != email[mentee]
        loads = [list(pairs.values()).count(m) for m in set(pairs.values())]
        assert max(loads) - min(loads) <= 1
        mail = db.session.scalars(select(OutgoingMail)).all()
        mentor_mail = [m for m in mail if ":mentor:" in m.key]
        assert len(mentor_mail) == len(set(pairs.values())) and len([m for m in mail if ":mentee:" in m.key]) == 12
        assert all(b"Subject: Doc Box outreach\r\n" in m.body for m in mail)
        links = db.session.scalars(select(MenteeLink)).all()
        assert len(links) == 12 and all(len(link.token_hash) == 64 for link in links)
        assert not any(link.token_hash.encode() in m.body for link in links for m in mail)  # only the token travels
    assert email[pairs[chair]] == "m3@example.org"


def test_a_bad_round_form_says_why_and_opens_nothing(app, client, roster):
    page = _open(client, due_on="2026-03-01", mentors="2", load="3")
    assert page.status_code == 422
    assert "must be after today" in page.text and "not both" in page.text
    page = _open(client, mentors="9")
    assert page.status_code == 409 and "9 mentors are needed but 3 are mentoring" in page.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutgoingMail)) == 0


def test_a_second_round_cannot_open_while_one_is_open(client, roster):
    _open(client)
    assert _open(client).status_code == 409


def test_next_round_keeps_each_mentor_unless_a_change_was_asked(app, client, roster, clock):
    _open(client)
    first = _pairs(app, 1)
    fellow = roster["f0@example.org"]
    with app.app_context():
        row = db.session.scalar(select(Assignment).where(Assignment.mentee_id == fellow))
        mentor_email = db.session.get(Member, row.mentor_id).email
        row_id = row.id
    assert client.post(f"/oneonone/mine/{row_id}", data={"action": "change"},
                       headers=as_staff(mentor_email)).status_code == 302
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    clock.advance(days=30)
    assert open_round(client, "2026-04-30").status_code == 302
    second = _pairs(app, 2)
    assert second[fellow] != first[fellow]
    # Balance may move others to make room (loads within one, never into a reporting line), but no
    # more than it must: no valid assignment changes fewer pairs. (With this roster one seed in
    # about 25 needs three changes, not two: reporting lines block the short way round.)
    with app.app_context():
        members = list(db.session.scalars(select(Member)))
        id_of = {m.email: m.id for m in members}
        reports_to = {m.id: id_of[m.reports_to] for m in members if m.reports_to}
    assert sum(second[m] != first[m] for m in first) == _fewest_changes(first, fellow, reports_to)


def test_a_mentor_cannot_ask_for_a_change_once_the_round_is_closed(app, client, roster, clock):
    _open(client)
    fellow = roster["f0@example.org"]
    with app.app_context():
        row = db.session.scalar(select(Assignment).where(Assignment.mentee_id == fellow))
        mentor_email, row_id = db.session.get(Member, row.mentor_id).email, row.id
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    answer = client.post(f"/oneonone/mine/{row_id}", data={"action": "change"}, headers=as_staff(mentor_email))
    assert answer.status_code == 409 and "closed" in answer.text
    with app.app_context():
        assert db.session.get(Assignment, row_id).change_requested is False
    clock.advance(days=30)
    assert open_round(client, "2026-04-30").status_code == 302
    assert _pairs(app, 2)[fellow] == _pairs(app, 1)[fellow]   # the next round keeps the mentor: nothing was asked


def _fewest_changes(first: dict, fellow, reports_to: dict) -> int:
    """The fewest pairs any valid next round changes when ``fellow`` must change mentor."""
    mentors = sorted(set(first.values()))
    for count in range(1, len(first) + 1):
        for movers in combinations(sorted(first), count):
            if fellow not in movers:
                continue
            for choice in product(mentors, repeat=count):
                pairs = first | dict(zip(movers, choice))
                if any(pairs[m] == first[m] or pairs[m] == m or in_line(m, pairs[m], reports_to) for m in movers):
                    continue
                loads = [list(pairs.values()).count(x) for x in mentors]
                if max(loads) - min(loads) <= 1:
                    return count
    raise AssertionError("no valid next round exists")


def test_coordinator_swaps_two_mentees_but_never_into_a_reporting_line(app, client, roster):
    _open(client)
    pairs = _pairs(app)
    fellows = [roster[f"f{i}@example.org"] for i in range(8)]
    with app.app_context():
        boss = {m.id: m.reports_to for m in db.session.scalars(select(Member))}
        email = {m.id: m.email for m in db.session.scalars(select(Member))}
    allowed = [(a, b) for a in fellows for b in fellows if a < b and pairs[a] != pairs[b]
               and boss[a] != email[pairs[b]] and boss[b] != email[pairs[a]]]
    a, b = allowed[0]
    assert client.post("/oneonone/rounds/1/swap", data={"a": email[a], "b": email[b]},
                       headers=COORDINATOR).status_code == 302
    after = _pairs(app)
    assert (after[a], after[b]) == (pairs[b], pairs[a])
    # (read off the pairs after the swap: one of its two may have been a's or b's)
    refused = [(a, b) for a in fellows for b in fellows if after[a] != after[b] and boss[a] == email[after[b]]]
    a, b = refused[0]
    page = client.post("/oneonone/rounds/1/swap", data={"a": email[a], "b": email[b]}, headers=COORDINATOR)
    assert page.status_code == 422 and "reporting line" in page.text
    assert _pairs(app) == after


def _my_first_row(app, email):
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == email))
        return db.session.scalar(select(Assignment).where(Assignment.mentor_id == member.id).order_by(Assignment.id))


def test_a_mentor_sees_only_their_own_mentees_and_logs_an_attempt(app, client, roster):
    _open(client)
    pairs = _pairs(app)
    mentor_id = next(iter(set(pairs.values())))
    with app.app_context():
        names = {m.id: m.name for m in db.session.scalars(select(Member))}
        mentor_email = db.session.get(Member, mentor_id).email
    page = client.get("/oneonone/mine", headers=as_staff(mentor_email))
    mine = {names[x] for x, p in pairs.items() if p == mentor_id}
    others = {names[x] for x, p in pairs.items() if p != mentor_id} - {names[mentor_id]}
    assert all(f">{n}</h2>" in page.text for n in mine) and not any(f">{n}</h2>" in page.text for n in others)
    row = _my_first_row(app, mentor_email)
    logged = client.post(f"/oneonone/mine/{row.id}", data={"channel": "call", "outcome": "reached"},
                         headers=as_staff(mentor_email))
    assert logged.status_code == 303
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert (attempt.day, attempt.channel, attempt.outcome) == (date(2026, 3, 2), "call", "reached")
    assert "reached (call)" in client.get("/oneonone/mine", headers=as_staff(mentor_email)).text


def test_a_mentor_cannot_log_for_someone_elses_mentee_nor_a_made_up_outcome(app, client, roster):
    _open(client)
    pairs = _pairs(app)
    a, b = sorted(set(pairs.values()))[:2]
    with app.app_context():
        a_email = db.session.get(Member, a).email
        b_email = db.session.get(Member, b).email
    row_b = _my_first_row(app, b_email)
    assert client.post(f"/oneonone/mine/{row_b.id}", data={"channel": "call", "outcome": "reached"},
                       headers=as_staff(a_email)).status_code == 403
    row_a = _my_first_row(app, a_email)
    answer = client.post(f"/oneonone/mine/{row_a.id}", data={"channel": "pigeon", "outcome": "cried"},
                         headers=as_staff(a_email), follow_redirects=True)
    assert "Not logged" in answer.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_after_a_swap_the_new_mentor_does_not_see_the_old_mentors_outcomes(app, client, roster):
    with app.app_context():
        # Pairs that leave two fellows a swap the rules allow: 1 random draw in 40 leaves none (seed 82, say).
        ops.start_round(date.fromisoformat(DUE), seed=0)
    pairs = _pairs(app)
    fellows = sorted(roster[f"f{i}@example.org"] for i in range(8))
    with app.app_context():
        boss = {m.id: m.reports_to for m in db.session.scalars(select(Member))}
        email = {m.id: m.email for m in db.session.scalars(select(Member))}
    a, b = next((a, b) for a in fellows for b in fellows if a < b and pairs[a] != pairs[b]
                and boss[a] != email[pairs[b]] and boss[b] != email[pairs[a]])
    with app.app_context():
        row = db.session.scalar(select(Assignment).where(Assignment.mentee_id == a))
    client.post(f"/oneonone/mine/{row.id}", data={"channel": "text", "outcome": "declined"},
                headers=as_staff(email[pairs[a]]))
    client.post("/oneonone/rounds/1/swap", data={"a": email[a], "b": email[b]}, headers=COORDINATOR)
    page = client.get("/oneonone/mine", headers=as_staff(email[pairs[b]]))
    assert "declined (text)" not in page.text and "No attempt yet" in page.text


def test_closing_freezes_the_round(app, client, roster):
    _open(client)
    mentor_email = next(iter({e for e in roster if e.startswith("m")}))
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)
    with app.app_context():
        row = db.session.scalar(select(Assignment).join(Member, Member.id == Assignment.mentor_id)
                                .where(Member.email == mentor_email))
    assert client.post(f"/oneonone/mine/{row.id}", data={"channel": "call", "outcome": "reached"},
                       headers=as_staff(mentor_email)).status_code == 409
    assert client.post("/oneonone/rounds/1/swap", data={"a": "f1@example.org", "b": "f2@example.org"},
                       headers=COORDINATOR).status_code == 409


def _reach_one_and_close(app, client) -> None:
    """A mentor of round 1 logs one of their mentees reached; then the coordinator closes the round."""
    mentor_id = next(iter(set(_pairs(app).values())))
    with app.app_context():
        mentor_email = db.session.get(Member, mentor_id).email
    row = _my_first_row(app, mentor_email)
    client.post(f"/oneonone/mine/{row.id}", data={"channel": "call", "outcome": "reached"},
                headers=as_staff(mentor_email))
    client.post("/oneonone/rounds/1/close", headers=COORDINATOR)


def test_purge_deletes_person_rows_after_the_retention_and_keeps_the_numbers(app, client, roster, clock):
    _open(client)
    _reach_one_and_close(app, client)
    before = client.get("/oneonone/rounds/1", headers=COORDINATOR).text
    assert "<th scope=\"row\">Reached</th><td>1</td>" in before
    clock.advance(days=89)
    with app.app_context():
        assert ops.purge_due() == 0
    clock.advance(days=1, minutes=1)
    with app.app_context():
        assert ops.purge_due() == 1
        for model in (Assignment, Attempt, MenteeLink):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
    after = client.get("/oneonone/rounds/1", headers=COORDINATOR).text
    assert "<th scope=\"row\">Reached</th><td>1</td>" in after and "<th scope=\"row\">Assigned</th><td>12</td>" in after
    assert "Mentor 1" not in after.split("<main")[1]


def test_viewers_see_no_numbers_while_open_and_withheld_small_numbers_with_nobody_named(app, client, roster):
    _open(client)
    assert "released once it is closed" in client.get("/oneonone/rounds/1", headers=VIEWER).text
    assert client.get("/oneonone/rounds/1.csv", headers=VIEWER).status_code == 400
    _reach_one_and_close(app, client)
    page = client.get("/oneonone/rounds/1", headers=VIEWER).text
    assert "withheld" in page and "Mentor " not in page.split("<main")[1] and "Fellow" not in page
    csv_text = client.get("/oneonone/rounds/1.csv", headers=VIEWER).data.decode("utf-8-sig")
    assert "reached,withheld" in csv_text and "Mentor" not in csv_text


def test_every_coordinator_read_of_a_round_is_audited(app, client, roster):
    _open(client)
    client.get("/oneonone/rounds/1", headers=COORDINATOR)
    client.get("/oneonone/rounds/1.csv", headers=COORDINATOR)
    client.get("/oneonone/rounds/1", headers=VIEWER)
    with app.app_context():
        rows = db.session.scalars(select(ReadAudit).where(ReadAudit.program == "oneonone")).all()
        assert [(r.staff_email, r.page, r.subject_id) for r in rows] == [
            ("coordinator@example.org", "round", 1), ("coordinator@example.org", "round.csv", 1)]
