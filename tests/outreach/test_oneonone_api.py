"""The one-on-one program's API for scripts: the same rules as the pages, problem+json when refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from docbox_outreach.models import db
from docbox_outreach.oneonone.models import Attempt, Round
from support.outreach import COORDINATOR, VIEWER, as_staff, load_roster, two_mentors_and

ROSTER = two_mentors_and(6)


@pytest.fixture
def members(app, client):
    ids = load_roster(app, ROSTER, mentors=())
    for i in (1, 2):
        assert client.post("/api/v1/oneonone/mentors", json={"member_id": ids[f"m{i}@example.org"]},
                           headers=COORDINATOR).status_code == 201
    return ids


def test_a_script_opens_a_round_reads_it_and_a_mentor_logs_an_attempt(client, members):
    opened = client.post("/api/v1/oneonone/rounds", json={"due_on": "2026-03-20", "load": 4}, headers=COORDINATOR)
    assert opened.status_code == 201 and opened.json["number"] == 1
    mine = client.get("/api/v1/oneonone/mine", headers=as_staff("m1@example.org")).json
    assert len(mine) == 4
    logged = client.post("/api/v1/oneonone/attempts", json={"assignment_id": mine[0]["assignment_id"],
                                                            "channel": "video", "outcome": "reached"},
                         headers=as_staff("m1@example.org"))
    assert logged.status_code == 201 and logged.json["day"] == "2026-03-02"
    report = client.get("/api/v1/oneonone/rounds/1/report", headers=COORDINATOR).json
    assert (report["assigned"], report["reached"], report["reach_rate"]) == (8, 1, 0.125)
    assert sorted(m["name"] for m in report["mentors"]) == ["Mentor 1", "Mentor 2"]


@pytest.mark.parametrize("body, field", [
    ({"due_on": "2026-03-01"}, "due_on"),
    ({"due_on": "not a date"}, "due_on"),
    ({"due_on": "2026-03-20", "mentors": 1, "load": 4}, "mentors"),
    ({"due_on": "2026-03-20", "load": 0}, "load"),
    ({"due_on": "2026-03-20", "mentors": "two"}, "mentors"),
])
def test_a_bad_round_is_refused_as_problem_json_and_nothing_opens(app, client, members, body, field):
    answer = client.post("/api/v1/oneonone/rounds", json=body, headers=COORDINATOR)
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    assert field in answer.json["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Round)) == 0


def test_an_attempt_with_words_or_an_unknown_outcome_is_refused(app, client, members):
    client.post("/api/v1/oneonone/rounds", json={"due_on": "2026-03-20"}, headers=COORDINATOR)
    row = client.get("/api/v1/oneonone/mine", headers=as_staff("m1@example.org")).json[0]
    for body in ({"assignment_id": row["assignment_id"], "channel": "call", "outcome": "reached",
                  "note": "talked about burnout"},
                 {"assignment_id": row["assignment_id"], "channel": "call", "outcome": "sad"},
                 {"assignment_id": row["assignment_id"], "channel": "call", "outcome": "reached",
                  "day": "2026-03-09"}):
        answer = client.post("/api/v1/oneonone/attempts", json=body, headers=as_staff("m1@example.org"))
        assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_roles_gate_the_api(client, members):
    assert client.post("/api/v1/oneonone/rounds", json={"due_on": "2026-03-20"},
                       headers=VIEWER).status_code == 403
    assert client.post("/api/v1/oneonone/rounds", json={"due_on": "2026-03-20"},
                       headers=as_staff("organizer@example.org")).status_code == 403
    client.post("/api/v1/oneonone/rounds", json={"due_on": "2026-03-20"}, headers=COORDINATOR)
    assert client.get("/api/v1/oneonone/rounds/1/report", headers=VIEWER).status_code == 409
    assert client.get("/api/v1/oneonone/rounds/1/report", headers=as_staff("m1@example.org")).status_code == 403
    assert client.get("/api/v1/oneonone/rounds").status_code == 401
