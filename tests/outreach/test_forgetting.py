"""What the outreach database still holds about a person once the schedule has run, read the way a lawyer
would: every row of every table, dumped, searched for their name, their email and any key that points at them.

The steps are a coordinator's and a mentor's through the API; the purge is the worker's pass.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from docbox_outreach.cli import due_work
from docbox_outreach.config import SETTINGS
from docbox_outreach.models import Member, ReadAudit, db
from docbox_outreach.oneonone.models import Assignment, OptOut, RoundSummary
from docbox_shared.settings import ConfigError, load
from support.outreach import COORDINATOR, as_staff, load_roster, traces

ROSTER = "name,work email,division,reports to,leadership\n" + "\n".join(
    ["Chair Ada,chair@example.org,Medicine,,yes", "Mentor Three,m3@example.org,Surgery,,",
     "Mentor Four,m4@example.org,Surgery,,",
     "Zelda Quillfeather,zelda@example.org,Surgery,m1@example.org,",
     "Yusuf Brightwater,yusuf@example.org,Surgery,zelda@example.org,"]
    + [f"Mentor {n},m{i}@example.org,Medicine,chair@example.org," for i, n in ((1, "One"), (2, "Two"))]
    + [f"Fellow {i},f{i}@example.org,Surgery,m{1 + i % 3}@example.org," for i in range(6)]) + "\n"
API = "/api/v1/oneonone"
MENTORS = [f"m{i}@example.org" for i in (1, 2, 3, 4)]


@pytest.fixture
def ids(app):
    return load_roster(app, ROSTER, MENTORS)


def person(ids, email, name):
    return {"id": ids[email], "name": name, "email": email}


def run_round(app, client, clock, due: str, attempts_by=None):
    """Open a round, let mentors log one attempt each for every mentee, close it; its id."""
    opened = client.post(f"{API}/rounds", json={"due_on": due}, headers=COORDINATOR)
    assert opened.status_code == 201, opened.json
    round_id = opened.json["id"]
    with app.app_context():
        rows = db.session.execute(select(Assignment.id, Member.email).join(Member, Member.id == Assignment.mentor_id)
                                  .where(Assignment.round_id == round_id)).all()
    for assignment_id, mentor in rows:
        assert client.post(f"{API}/attempts", json={"assignment_id": assignment_id, "channel": "call",
                                                    "outcome": "reached"}, headers=as_staff(mentor)).status_code == 201
    assert client.get(f"{API}/rounds/{round_id}/report", headers=COORDINATOR).status_code == 200  # audited
    clock.advance(days=10)
    assert client.post(f"{API}/rounds/{round_id}/close", headers=COORDINATOR).status_code == 200
    return round_id


def leave(client, member_id):
    answer = client.patch(f"/api/v1/members/{member_id}", json={"active": False}, headers=COORDINATOR)
    assert answer.status_code == 200, answer.json


def work(app):
    with app.app_context():
        due_work(app)


def test_a_mentee_and_a_mentor_who_left_are_forgotten_once_their_rounds_are_purged(app, client, ids, clock):
    zelda = person(ids, "zelda@example.org", "Zelda Quillfeather")       # a mentee who leaves
    mentor = person(ids, "m3@example.org", "Mentor Three")               # a mentor who leaves
    app.config["LEAVER_RETENTION_DAYS"] = 30
    first = run_round(app, client, clock, "2026-03-20")
    leave(client, zelda["id"])
    leave(client, mentor["id"])
    clock.advance(days=20)
    run_round(app, client, clock, "2026-04-20")
    # Their 30 days are over, but the rounds that name them are closed and not purged yet: they stay (and
    # so does the reporting line through Zelda).
    clock.advance(days=9)
    work(app)
    assert traces(app, zelda) and traces(app, mentor)
    # Past the rounds' retention: the rounds keep their counts, and nobody who left is anywhere.
    clock.advance(days=app.config["RETENTION_DAYS"])
    work(app)
    assert traces(app, zelda) == [] and traces(app, mentor) == []
    with app.app_context():
        summary = db.session.get(RoundSummary, first)
        assert sum(count for _, _, count in summary.tally) == 13 and summary.mentors == 4
        # Yusuf reported to Zelda: his line now runs to the person she reported to.
        yusuf = db.session.get(Member, ids["yusuf@example.org"])
        assert yusuf.active and yusuf.reports_to == "m1@example.org"
    # Those still on the roster stay on it.
    assert traces(app, person(ids, "yusuf@example.org", "Yusuf Brightwater"))


def test_a_leaver_stays_until_the_days_after_leaving_have_passed(app, client, ids, clock):
    zelda = person(ids, "zelda@example.org", "Zelda Quillfeather")
    leave(client, zelda["id"])            # never in a round: nothing else holds her
    clock.advance(days=app.config["LEAVER_RETENTION_DAYS"] - 1)
    work(app)
    assert traces(app, zelda)             # the coordinator may still undo a mistaken "left"
    assert client.patch(f"/api/v1/members/{zelda['id']}", json={"active": True}, headers=COORDINATOR).json["active"]
    clock.advance(days=app.config["LEAVER_RETENTION_DAYS"] + 5)
    work(app)
    assert traces(app, zelda)             # back on the roster: kept
    leave(client, zelda["id"])
    clock.advance(days=app.config["LEAVER_RETENTION_DAYS"])
    work(app)
    assert traces(app, zelda) == []


def test_a_leaver_in_an_open_round_is_kept_until_that_round_is_purged(app, client, ids, clock):
    zelda = person(ids, "zelda@example.org", "Zelda Quillfeather")
    opened = client.post(f"{API}/rounds", json={"due_on": "2026-03-20"}, headers=COORDINATOR).json
    leave(client, zelda["id"])
    clock.advance(days=app.config["LEAVER_RETENTION_DAYS"] + 1)
    work(app)
    with app.app_context():   # the open round still counts her as assigned: her row is what it points at
        assert db.session.scalar(select(Assignment).where(Assignment.mentee_id == zelda["id"])) is not None
    assert client.get(f"{API}/rounds/{opened['id']}/report", headers=COORDINATOR).json["assigned"] == 13


def _opt_out_for_good(app, client, member_id):
    token = _token_from_mail(app, member_id)   # the token travelled by mail: the test reads it off the queue
    assert client.post(f"/oneonone/link/{token}", data={"action": "for_good"}).status_code == 303
    return token


def _token_from_mail(app, member_id):
    from docbox_outreach.models import OutgoingMail
    with app.app_context():
        email = db.session.get(Member, member_id).email
        body = db.session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == email,
                                                             OutgoingMail.key.like("%:mentee:%"))
                                  .order_by(OutgoingMail.id.desc())).first().body.decode()
    return re.findall(r"/oneonone/link/([A-Za-z0-9_-]+)", body)[0]


def test_someone_opted_out_for_good_keeps_only_the_opt_out_and_the_link_to_withdraw_it(app, client, ids, clock):
    yusuf = person(ids, "yusuf@example.org", "Yusuf Brightwater")
    run_round(app, client, clock, "2026-03-20")
    clock.advance(days=5)
    opened = client.post(f"{API}/rounds", json={"due_on": "2026-04-20"}, headers=COORDINATOR).json
    token = _opt_out_for_good(app, client, yusuf["id"])
    clock.advance(days=10)
    client.post(f"{API}/rounds/{opened['id']}/close", headers=COORDINATOR)
    clock.advance(days=app.config["RETENTION_DAYS"] + 1)
    work(app)
    where = traces(app, yusuf)
    # On the roster (she still works here), one opt-out, one link: what honouring it needs, nothing more.
    assert sorted(w.split(":")[0].split(" ")[0] for w in where) == [
        "members.email", "members.id", "members.name", "oneonone_mentee_links.member_id",
        "oneonone_opt_outs.member_id"], where
    with app.app_context():
        assert db.session.scalar(select(OptOut.scope).where(OptOut.member_id == yusuf["id"])) == "for_good"
    assert "withdraw" in client.get(f"/oneonone/link/{token}").text
    # The next round leaves her out.
    assert client.post(f"{API}/rounds", json={"due_on": "2026-09-20"}, headers=COORDINATOR).status_code == 201
    with app.app_context():
        assert db.session.scalar(select(Assignment).where(Assignment.mentee_id == yusuf["id"])) is None


def test_audit_lines_are_deleted_after_their_retention(app, client, ids, clock):
    run_round(app, client, clock, "2026-03-20")
    client.get("/roster", headers=COORDINATOR)
    with app.app_context():
        lines = db.session.scalars(select(ReadAudit)).all()
        assert lines and {line.staff_email for line in lines} == {"coordinator@example.org"}
        # A line says who read, when, in which program, which page and round: no mentee.
        assert {c.name for c in ReadAudit.__table__.columns} == {
            "id", "read_at", "staff_email", "program", "page", "subject_id"}
        first = min(line.read_at for line in lines)
    clock.set(first + timedelta(days=app.config["AUDIT_RETENTION_DAYS"]) - timedelta(seconds=1))
    work(app)
    with app.app_context():
        assert db.session.scalar(select(ReadAudit).limit(1)) is not None
    client.get("/roster", headers=COORDINATOR)   # a read of today stays
    clock.advance(days=11)                        # past the year of the round's and the first roster's reads
    work(app)
    with app.app_context():
        kept = db.session.scalars(select(ReadAudit)).all()
        assert [line.page for line in kept] == ["roster"]


def test_retention_settings_default_to_a_year_of_audit_and_90_days_after_leaving_and_refuse_nonsense():
    config = load(SETTINGS, {})
    assert config["AUDIT_RETENTION_DAYS"] == 365 and config["LEAVER_RETENTION_DAYS"] == 90
    for name in ("DOCBOX_OUTREACH_AUDIT_RETENTION_DAYS", "DOCBOX_OUTREACH_LEAVER_RETENTION_DAYS"):
        assert load(SETTINGS, {name: "30"})[name.removeprefix("DOCBOX_OUTREACH_")] == 30
        with pytest.raises(ConfigError, match=name):
            load(SETTINGS, {name: "0"})
