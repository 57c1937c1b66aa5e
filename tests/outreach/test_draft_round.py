"""A draft round: the coordinator prepares the next round, checks and changes its pairs, and only opening it
mails anyone. Through the API for scripts (the pages do the same; the browser test walks them)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from docbox_outreach.domain.assignment import in_line
from docbox_outreach.models import Member, OutgoingMail, ReadAudit, db
from docbox_outreach.oneonone.mailing import reminders_due
from docbox_outreach.oneonone.models import Assignment, Attempt, MenteeLink, Round
from support.outreach import COORDINATOR, VIEWER, as_staff, load_roster

# A chair, two mentors reporting to the chair, one outside the chair's line, a member outside the pool
# (Outsider), and eight faculty under the mentors.
ROSTER = "name,work email,division,reports to,leadership\n" + "\n".join(
    ["Chair Ada,chair@example.org,Medicine,,yes", "Mentor 3,m3@example.org,Surgery,,",
     "Outsider Oz,oz@example.org,Surgery,,"]
    + [f"Mentor {i},m{i}@example.org,Medicine,chair@example.org," for i in (1, 2)]
    + [f"Fellow {i},f{i}@example.org,Surgery,m{1 + i % 3}@example.org," for i in range(8)]) + "\n"
API = "/api/v1/oneonone"
DUE = "2026-03-20"
MENTORS = [f"m{i}@example.org" for i in (1, 2, 3)]


@pytest.fixture
def ids(app):
    return load_roster(app, ROSTER, MENTORS)


@pytest.fixture(autouse=True)
def same_seed(monkeypatch):
    """Every computation draws the same seed: the tests pick two fellows a swap or a refusal applies to, and
    some random draws leave none (a StopIteration in CI, 1 draw in 40 for test_rounds' roster)."""
    monkeypatch.setattr(random, "SystemRandom", lambda: random.Random(0))


def _draft(client, **body):
    answer = client.post(f"{API}/rounds", json={"due_on": DUE, "draft": True, **body}, headers=COORDINATOR)
    assert answer.status_code == 201, answer.json
    return answer.json


def _pairs(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(Assignment.mentee_id, Assignment.mentor_id)).all())


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _line(app):
    with app.app_context():
        members = list(db.session.scalars(select(Member)))
        id_of = {m.email: m.id for m in members}
        return {m.id: id_of[m.reports_to] for m in members if m.reports_to}


def test_a_draft_follows_the_rules_and_reaches_nobody(app, client, ids, clock):
    draft = _draft(client, load=5)
    assert (draft["status"], draft["opened_on"], draft["number"]) == ("draft", None, 1)
    shown = client.get(f"{API}/rounds/{draft['id']}/pairs", headers=COORDINATOR).json
    assert shown["status"] == "draft" and shown["balanced"] is True
    pairs = {p["mentee_id"]: p["mentor_id"] for p in shown["pairs"]}
    assert pairs == _pairs(app) and set(pairs) == set(ids.values())  # every active member, exactly once
    line = _line(app)
    assert not any(in_line(mentee, mentor, line) for mentee, mentor in pairs.items())
    assert sorted(m["load"] for m in shown["loads"]) == [4, 4, 5]  # 13 mentees, load 5: three mentors
    # Nothing reaches anyone: no mail, no link, no list, no reminder, no attempt, nothing for viewers.
    assert _count(app, OutgoingMail) == 0 and _count(app, MenteeLink) == 0
    mentor = next(e for e, i in ids.items() if i == shown["pairs"][0]["mentor_id"])
    assert client.get(f"{API}/mine", headers=as_staff(mentor)).json == []
    page = client.get("/oneonone/mine", headers=as_staff(mentor)).text
    assert not any(f">{p['mentee']}</h2>" in page for p in shown["pairs"])
    with app.app_context():
        row = db.session.scalar(select(Assignment).where(Assignment.mentor_id == ids[mentor]))
    assert client.post(f"{API}/attempts", json={"assignment_id": row.id, "channel": "call", "outcome": "reached"},
                       headers=as_staff(mentor)).status_code == 403
    assert client.post(f"/oneonone/mine/{row.id}", data={"action": "change"},
                       headers=as_staff(mentor)).status_code == 403
    clock.advance(days=17)
    with app.app_context():
        assert reminders_due() is False
    assert _count(app, OutgoingMail) == 0 and _count(app, Attempt) == 0
    assert client.get(f"{API}/rounds", headers=VIEWER).json == []
    assert client.get(f"{API}/rounds/{draft['id']}/report", headers=VIEWER).status_code == 404
    assert client.get(f"/oneonone/rounds/{draft['id']}", headers=VIEWER).status_code == 404
    assert "Round 1" not in client.get("/oneonone/rounds", headers=VIEWER).text
    with app.app_context():  # the coordinator's read of the pairs is audited like a read of the round
        assert db.session.scalar(select(ReadAudit.page).where(ReadAudit.program == "oneonone")) == "round.pairs"


def test_swapped_and_moved_pairs_are_what_opens_and_each_mentor_gets_one_mail(app, client, ids):
    draft = _draft(client)
    pairs = _pairs(app)
    line = _line(app)
    fellows = sorted(ids[f"f{i}@example.org"] for i in range(8))
    a, b = next((a, b) for a in fellows for b in fellows if pairs[a] != pairs[b]
                and not in_line(a, pairs[b], line) and not in_line(b, pairs[a], line))
    assert client.post(f"{API}/rounds/{draft['id']}/swap", json={"a": a, "b": b},
                       headers=COORDINATOR).status_code == 204
    pairs[a], pairs[b] = pairs[b], pairs[a]
    assert _pairs(app) == pairs
    # Move a fellow to another mentor: allowed, and the loads that follow are reported.
    c, to = next((c, m) for c in fellows for m in sorted(set(pairs.values()))
                 if m != pairs[c] and not in_line(c, m, line))
    moved = client.post(f"{API}/rounds/{draft['id']}/reassign", json={"mentee": c, "mentor": to},
                        headers=COORDINATOR)
    assert moved.status_code == 200
    pairs[c] = to
    assert _pairs(app) == pairs
    loads = {m["mentor_id"]: m["load"] for m in moved.json["loads"]}
    assert loads == {m: list(pairs.values()).count(m) for m in set(pairs.values())}
    assert moved.json["balanced"] is (max(loads.values()) - min(loads.values()) <= 1)
    assert _count(app, OutgoingMail) == 0
    opened = client.post(f"{API}/rounds/{draft['id']}/open", headers=COORDINATOR)
    assert opened.status_code == 200 and opened.json["status"] == "open" and opened.json["opened_on"] == "2026-03-02"
    assert _pairs(app) == pairs  # what the coordinator saw and changed is what opened
    with app.app_context():
        keys = db.session.scalars(select(OutgoingMail.key)).all()
        recipients = db.session.scalars(select(OutgoingMail.recipient).where(OutgoingMail.key.contains(":mentor:")))
        emails = {m.id: m.email for m in db.session.scalars(select(Member))}
    assert sorted(recipients) == sorted(emails[m] for m in set(pairs.values()))  # one mail per mentor
    assert len([k for k in keys if ":mentee:" in k]) == len(pairs) == _count(app, MenteeLink)
    mentor = emails[pairs[c]]
    mine = client.get(f"{API}/mine", headers=as_staff(mentor)).json
    assert {r["mentee"] for r in mine} == {_name(app, x) for x, p in pairs.items() if p == pairs[c]}
    # Opening twice sends nothing twice.
    assert client.post(f"{API}/rounds/{draft['id']}/open", headers=COORDINATOR).status_code == 409
    assert _count(app, OutgoingMail) == len(keys)


def _name(app, member_id):
    with app.app_context():
        return db.session.get(Member, member_id).name


def _bad_requests(app, ids, pairs):
    line = _line(app)
    fellows = sorted(ids[f"f{i}@example.org"] for i in range(8))
    into_line = next((a, b) for a in fellows for b in fellows if pairs[a] != pairs[b] and in_line(a, pairs[b], line))
    same = next((a, b) for a in fellows for b in fellows if a != b and pairs[a] == pairs[b])
    boss_of = next(f for f in fellows if line[f] in set(pairs.values()))
    mentor = pairs[fellows[0]]
    return {
        "swap into a reporting line": ("swap", {"a": into_line[0], "b": into_line[1]}, 422),
        "swap two mentees of one mentor": ("swap", {"a": same[0], "b": same[1]}, 422),
        "swap with someone not in the round": ("swap", {"a": fellows[0], "b": 999_999}, 422),
        "swap with a made-up id": ("swap", {"a": fellows[0], "b": "x"}, 422),
        "mentor themself": ("reassign", {"mentee": mentor, "mentor": mentor}, 422),
        "mentor in the reporting line": ("reassign", {"mentee": boss_of, "mentor": line[boss_of]}, 422),
        "mentor outside the pool": ("reassign", {"mentee": fellows[0], "mentor": ids["oz@example.org"]}, 422),
        "mentee not in the round": ("reassign", {"mentee": 999_999, "mentor": mentor}, 422),
        "no mentor": ("reassign", {"mentee": fellows[0]}, 422),
    }


def test_bad_swaps_and_moves_before_opening_are_refused_and_change_nothing(app, client, ids):
    draft = _draft(client)
    pairs = _pairs(app)
    for what, (action, body, status) in _bad_requests(app, ids, pairs).items():
        answer = client.post(f"{API}/rounds/{draft['id']}/{action}", json=body, headers=COORDINATOR)
        assert answer.status_code == status, what
        assert answer.content_type == "application/problem+json", what
        assert _pairs(app) == pairs, what
    for headers in (VIEWER, as_staff("m1@example.org")):
        f0, f1 = ids["f0@example.org"], ids["f1@example.org"]
        assert client.post(f"{API}/rounds/{draft['id']}/swap", json={"a": f0, "b": f1},
                           headers=headers).status_code == 403
        assert client.post(f"{API}/rounds/{draft['id']}/open", headers=headers).status_code == 403
    assert _pairs(app) == pairs and _count(app, OutgoingMail) == 0


def test_one_draft_or_open_round_at_a_time_and_moves_only_before_opening(app, client, ids):
    draft = _draft(client)
    for body in ({"draft": True}, {"draft": False}):
        answer = client.post(f"{API}/rounds", json={"due_on": DUE, **body}, headers=COORDINATOR)
        assert answer.status_code == 409 and "draft" in answer.json["detail"]
    assert client.post(f"{API}/rounds/{draft['id']}/close", headers=COORDINATOR).status_code == 409
    assert client.get(f"{API}/rounds/{draft['id']}/report", headers=COORDINATOR).status_code == 409
    client.post(f"{API}/rounds/{draft['id']}/open", headers=COORDINATOR)
    assert client.post(f"{API}/rounds", json={"due_on": DUE, "draft": True}, headers=COORDINATOR).status_code == 409
    pairs = _pairs(app)
    fellow = ids["f0@example.org"]
    other = next(m for m in set(pairs.values()) if m != pairs[fellow] and not in_line(fellow, m, _line(app)))
    for path, body in (("reassign", {"mentee": fellow, "mentor": other}), ("recompute", {"due_on": DUE}),
                       ("open", None)):
        answer = client.post(f"{API}/rounds/{draft['id']}/{path}", json=body, headers=COORDINATOR)
        assert answer.status_code == 409 and answer.content_type == "application/problem+json", path
    assert client.delete(f"{API}/rounds/{draft['id']}", headers=COORDINATOR).status_code == 409
    assert _pairs(app) == pairs


def test_a_draft_is_computed_again_or_discarded(app, client, ids):
    draft = _draft(client, mentors=3)
    before = _pairs(app)
    again = client.post(f"{API}/rounds/{draft['id']}/recompute", json={"due_on": "2026-03-27", "load": 5},
                        headers=COORDINATOR)
    assert again.status_code == 200 and again.json["due_on"] == "2026-03-27" and again.json["status"] == "draft"
    assert set(_pairs(app)) == set(ids.values()) and len(set(_pairs(app).values())) == 3
    after = _pairs(app)
    for body, status, field in (({"due_on": "2026-03-01"}, 422, "due_on"), ({"due_on": DUE, "mentors": 9}, 409, None)):
        bad = client.post(f"{API}/rounds/{draft['id']}/recompute", json=body, headers=COORDINATOR)
        assert bad.status_code == status and bad.content_type == "application/problem+json"
        assert field is None or field in bad.json["errors"]
        assert _pairs(app) == after  # a refused recompute keeps the draft as it was
    with app.app_context():
        assert db.session.get(Round, draft["id"]).due_on.isoformat() == "2026-03-27"
    assert set(before) == set(after) and _count(app, OutgoingMail) == 0
    assert client.delete(f"{API}/rounds/{draft['id']}", headers=COORDINATOR).status_code == 204
    assert _count(app, Round) == 0 and _count(app, Assignment) == 0 and _count(app, OutgoingMail) == 0
    assert _draft(client)["number"] == 1



def test_a_discarded_drafts_number_in_the_audit_never_names_the_next_draft(app, client, ids):
    # The coordinator read a draft's pairs (an audit line naming that round), then discarded it. The next
    # draft must not take its id (SQLite reuses the highest deleted id without AUTOINCREMENT): the line
    # would then say they read pairs they never saw.
    first = _draft(client)
    assert client.get(f"{API}/rounds/{first['id']}/pairs", headers=COORDINATOR).status_code == 200
    assert client.delete(f"{API}/rounds/{first['id']}", headers=COORDINATOR).status_code == 204
    second = _draft(client)
    assert second["id"] != first["id"]
    with app.app_context():
        assert db.session.scalars(select(ReadAudit.subject_id).where(ReadAudit.page == "round.pairs")).all() == [
            first["id"]]
        assert db.session.get(Round, first["id"]) is None

def test_opening_refuses_when_the_roster_changed_since_the_draft_and_says_what(app, client, ids):
    draft = _draft(client)
    left = ids["f3@example.org"]
    assert client.patch(f"/api/v1/members/{left}", json={"active": False}, headers=COORDINATOR).status_code == 200
    assert client.post("/api/v1/members", json={"name": "New Nia", "email": "nia@example.org",
                                                "division": "Surgery"}, headers=COORDINATOR).status_code == 201
    answer = client.post(f"{API}/rounds/{draft['id']}/open", headers=COORDINATOR)
    assert answer.status_code == 409 and answer.content_type == "application/problem+json"
    assert answer.json["errors"] == {"not_in_round_any_more": ["Fellow 3"], "new_in_round": ["New Nia"]}
    assert "Fellow 3" in answer.json["detail"] and "compute the draft again" in answer.json["detail"]
    assert _count(app, OutgoingMail) == 0
    with app.app_context():
        assert db.session.get(Round, draft["id"]).opened_at is None
    # A mentor who left mentors nobody: that too is named.
    mentor = _pairs(app)[ids["f0@example.org"]]
    client.patch(f"/api/v1/members/{mentor}", json={"active": False}, headers=COORDINATOR)
    answer = client.post(f"{API}/rounds/{draft['id']}/open", headers=COORDINATOR)
    assert _name(app, mentor) in answer.json["errors"]["mentors"]
    client.patch(f"/api/v1/members/{mentor}", json={"active": True}, headers=COORDINATOR)
    assert client.post(f"{API}/rounds/{draft['id']}/recompute", json={"due_on": DUE},
                       headers=COORDINATOR).status_code == 200
    assert client.post(f"{API}/rounds/{draft['id']}/open", headers=COORDINATOR).status_code == 200
    assert left not in _pairs(app) and ids.get("nia@example.org") is None
    with app.app_context():
        nia = db.session.scalar(select(Member.id).where(Member.email == "nia@example.org"))
    assert nia in _pairs(app)


def test_a_draft_whose_due_date_passed_does_not_open(app, client, ids, clock):
    draft = _draft(client)
    clock.advance(days=18)
    answer = client.post(f"{API}/rounds/{draft['id']}/open", headers=COORDINATOR)
    assert answer.status_code == 422 and "due_on" in answer.json["errors"]
    assert _count(app, OutgoingMail) == 0


def test_the_coordinators_pages_walk_a_draft_and_refuse_bad_input_writing_nothing(app, client, ids):
    prepared = client.post("/oneonone/rounds", data={"due_on": DUE}, headers=COORDINATOR)
    assert prepared.status_code == 302
    page = client.get(prepared.headers["Location"], headers=COORDINATOR)
    assert "Round 1 (draft)" in page.text and "nothing has been sent" in page.text
    assert client.get("/oneonone/rounds/1.csv", headers=COORDINATOR).status_code == 409  # no numbers yet
    pairs = _pairs(app)
    line = _line(app)
    boss_of = next(f for f in pairs if f in line and line[f] in set(pairs.values()))
    with app.app_context():
        emails = {m.id: m.email for m in db.session.scalars(select(Member))}
    for form, status, says in (
            ({"mentee": "nobody@example.org", "mentor": str(pairs[boss_of])}, 422, "mentee of this round"),
            ({"mentee": emails[boss_of], "mentor": str(line[boss_of])}, 422, "reporting line"),
            ({"mentee": emails[boss_of], "mentor": "ten"}, 422, "mentor pool"),
            ({"mentee": emails[boss_of], "mentor": "9" * 40}, 422, "mentor pool")):
        answer = client.post("/oneonone/rounds/1/reassign", data=form, headers=COORDINATOR)
        assert answer.status_code == status and says in answer.text, form
    again = client.post("/oneonone/rounds/1/recompute", data={"due_on": "soon", "load": "x"}, headers=COORDINATOR)
    assert again.status_code == 422 and "Round 1 (draft)" in again.text and "whole number" in again.text
    assert _pairs(app) == pairs
    client.patch(f"/api/v1/members/{ids['f5@example.org']}", json={"active": False}, headers=COORDINATOR)
    refused = client.post("/oneonone/rounds/1/open", headers=COORDINATOR)
    assert refused.status_code == 409 and "Fellow 5" in refused.text and "compute the draft again" in refused.text
    assert _count(app, OutgoingMail) == 0
    for who in (VIEWER, as_staff("m1@example.org")):
        for action in ("open", "discard", "recompute", "reassign"):
            assert client.post(f"/oneonone/rounds/1/{action}", data={"due_on": DUE}, headers=who).status_code == 403
    assert client.post("/oneonone/rounds/1/recompute", data={"due_on": DUE}, headers=COORDINATOR).status_code == 302
    assert client.post("/oneonone/rounds/1/open", headers=COORDINATOR).status_code == 302
    assert "Round 1 is open" in client.get("/oneonone/rounds/1", headers=COORDINATOR).text
    assert client.post("/oneonone/rounds/1/discard", headers=COORDINATOR).status_code == 409
    assert _count(app, Round) == 1


def _swappable(app, ids) -> tuple[int, int]:
    """Two fellows of the draft whose mentors may be exchanged."""
    pairs, line = _pairs(app), _line(app)
    fellows = sorted(ids[f"f{i}@example.org"] for i in range(8))
    return next((a, b) for a in fellows for b in fellows if pairs[a] != pairs[b]
                and not in_line(a, pairs[b], line) and not in_line(b, pairs[a], line))


def test_computing_again_says_before_and_after_that_the_swaps_made_by_hand_are_lost(app, client, ids):
    draft = _draft(client)
    page = client.get(f"/oneonone/rounds/{draft['id']}", headers=COORDINATOR).text
    assert "will be lost" not in page     # nothing made by hand: nothing to lose
    a, b = _swappable(app, ids)
    assert client.post(f"{API}/rounds/{draft['id']}/swap", json={"a": a, "b": b}, headers=COORDINATOR).status_code == 204
    assert client.get(f"{API}/rounds", headers=COORDINATOR).json[0]["changes_by_hand"] == 1
    # Before: the form that computes again warns, above its button, that the swap will be lost.
    page = client.get(f"/oneonone/rounds/{draft['id']}", headers=COORDINATOR).text
    form = page[page.index('id="again-title"'):page.index("Compute again")]
    assert "1 swap or move made here will be lost" in form
    # When: the API answer and the page say it was dropped.
    again = client.post(f"{API}/rounds/{draft['id']}/recompute", json={"due_on": DUE}, headers=COORDINATOR)
    assert again.status_code == 200 and again.json["changes_dropped"] == 1 and again.json["changes_by_hand"] == 0
    for _ in range(2):
        a, b = _swappable(app, ids)
        assert client.post(f"{API}/rounds/{draft['id']}/swap", json={"a": a, "b": b},
                           headers=COORDINATOR).status_code == 204
    done = client.post(f"/oneonone/rounds/{draft['id']}/recompute", data={"due_on": DUE}, headers=COORDINATOR,
                       follow_redirects=True)
    assert done.status_code == 200 and "2 swaps and moves made by hand were dropped" in done.text
    assert "will be lost" not in done.text
