"""Bad input to every page and route of the case-based program: a clear 4xx or the form again, never a 500,
never a half-written change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from docbox_outreach.cases.models import Contact, Pairing, Supporter, SurveyAnswer, SurveyRound
from docbox_outreach.models import db

from .conftest import as_staff

COORD = as_staff("coord@hospital.test", "coordinator")
REFERRER = as_staff("risk@hospital.test", "referrer")
EVE = as_staff("eve@hospital.test", "supporter")
NASTY = ["", "0", "-1", "99999999999999999999", "abc", "2026-02-30", "<script>", "a" * 5000, "1.5", "\u202e"]


def counts(app):
    with app.app_context():
        return [db.session.scalar(select(func.count()).select_from(m))
                for m in (Pairing, Contact, Supporter, SurveyRound, SurveyAnswer)]


@pytest.fixture
def started(app, client, people):
    """Eve supports Cy (attested); Gus is a supporter too."""
    for member in (people.peer1, people.peer3):
        assert client.post("/api/v1/cases/supporters", json={"member_id": member.id, "trained_on": "2026-01-10"},
                           headers=COORD).status_code == 201
    client.post("/api/v1/cases/referrals", json={"physician_id": people.phys.id, "trigger": "other",
                                                 "referred_on": "2026-03-01"}, headers=REFERRER)
    client.post("/api/v1/cases/pairings/1/assign", json={"supporter_id": 1}, headers=COORD)
    client.post("/api/v1/cases/pairings/1/attest", json={"not_involved": True, "not_reviewing": True,
                                                         "not_in_reporting_line": True}, headers=EVE)
    return people


PAGES = [
    ("/cases/refer", REFERRER, ["physician_id", "trigger", "referred_on"]),
    ("/cases/pairings/1", COORD, ["action", "supporter_id", "division_preference", "reason"]),
    ("/cases/mine/1", EVE, ["action", "contacted_at", "channel", "outcome", "reoffer_on", "reason"]),
    ("/cases/supporters", COORD, ["action", "member_id", "capacity", "first_trained_on", "supporter_id", "kind",
                                  "trained_on", "body"]),
    ("/cases/surveys", COORD, ["action", "period_start", "period_end", "round_id"]),
    ("/cases/survey/not-a-token", {}, ["valuable", "recommend", "timely"]),
    ("/cases/guidelines/acknowledge", EVE, ["version"]),
]


@pytest.mark.parametrize("url, who, fields", PAGES, ids=[p[0] for p in PAGES])
def test_pages_answer_bad_forms_with_a_page_and_write_nothing(app, client, started, url, who, fields):
    before = counts(app)
    for value in NASTY:
        for action in ("assign", "close", "contact", "add", "training", "capacity", "open", "attest", value):
            form = {f: value for f in fields} | ({"action": action} if "action" in fields else {})
            response = client.post(url, data=form, headers=who)
            assert response.status_code < 500, (url, form, response.status_code)
            assert response.status_code in (200, 303, 400, 403, 404, 409, 422), (url, form, response.status_code)
    assert counts(app) == before


ROUTES = [
    ("post", "/api/v1/cases/referrals", REFERRER), ("post", "/api/v1/cases/pairings/1/assign", COORD),
    ("post", "/api/v1/cases/pairings/1/preference", COORD), ("post", "/api/v1/cases/pairings/1/close", EVE),
    ("post", "/api/v1/cases/pairings/1/contacts", EVE), ("post", "/api/v1/cases/pairings/1/reoffer", EVE),
    ("post", "/api/v1/cases/pairings/1/attest", EVE), ("post", "/api/v1/cases/supporters", COORD),
    ("patch", "/api/v1/cases/supporters/1", COORD), ("post", "/api/v1/cases/supporters/1/trainings", COORD),
    ("post", "/api/v1/cases/guidelines", COORD), ("post", "/api/v1/cases/survey-rounds", COORD),
    ("post", "/api/v1/cases/survey/abc", {}),
]
BODIES = [None, [], "text", {"unknown": 1}, {"physician_id": True, "trigger": None, "referred_on": 3},
          {"supporter_id": 2 ** 40}, {"channel": "call", "outcome": "reached", "contacted_at": "2026-03-02T10:00"},
          {"reason": "he said so"}, {"capacity": -3, "resting": "maybe"}, {"kind": "training", "trained_on": "1900-01-01"},
          {"body": ""}, {"period_start": "2026-03-01", "period_end": "2025-01-01"},
          {"valuable": "yes", "recommend": True, "items": {"timely": 9}}, {"reoffer_on": "2020-01-01"}]


@pytest.mark.parametrize("method, url, who", ROUTES, ids=[r[1] for r in ROUTES])
def test_routes_answer_bad_bodies_with_problem_json_and_write_nothing(app, client, started, method, url, who):
    before = counts(app)
    for body in BODIES:
        if method == "patch" and body is None:
            continue   # an empty change changes nothing, and says so with 200
        response = getattr(client, method)(url, json=body, headers=who)
        assert response.status_code in (400, 403, 404, 409, 415, 422), (url, body, response.status_code)
        assert response.headers["Content-Type"] == "application/problem+json", (url, body)
    assert counts(app) == before
