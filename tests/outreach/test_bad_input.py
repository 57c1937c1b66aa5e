"""Bad input to the outreach pages and API: a clear 4xx (page or problem+json), never a 500, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from docbox_outreach.models import Member, OutgoingMail, db
from docbox_outreach.oneonone.models import Assignment, Attempt, OptOut, Round
from support.bad_input import POISON_BODIES, send
from support.outreach import COORDINATOR, as_staff, load_roster, open_round, two_mentors_and

ROSTER = two_mentors_and(4)
BIG = str(2 ** 70)
MENTOR = as_staff("m1@example.org")

CASES = [
    ("round form: a date that is not one", "POST", "/oneonone/rounds", {"due_on": "31/12/2026"}, COORDINATOR, 422),
    ("round form: a year 10000", "POST", "/oneonone/rounds", {"due_on": "10000-01-01"}, COORDINATOR, 422),
    ("round form: mentors as words", "POST", "/oneonone/rounds", {"due_on": "2026-03-20", "mentors": "ten"},
     COORDINATOR, 422),
    ("round form: a huge load", "POST", "/oneonone/rounds", {"due_on": "2026-03-20", "load": BIG}, COORDINATOR, 422),
    ("round form: a NUL byte", "POST", "/oneonone/rounds", {"due_on": "2026-03-20\x00"}, COORDINATOR, 422),
    ("a round id beyond any integer", "GET", f"/oneonone/rounds/{BIG}", None, COORDINATOR, 404),
    ("a csv of a round id beyond any integer", "GET", f"/oneonone/rounds/{BIG}.csv", None, COORDINATOR, 404),
    ("swap: unknown emails", "POST", "/oneonone/rounds/1/swap", {"a": "x@example.org", "b": "y"}, COORDINATOR, 422),
    ("close an unknown round", "POST", f"/oneonone/rounds/{BIG}/close", {}, COORDINATOR, 404),
    ("mentor pool: a member id as words", "POST", "/oneonone/mentors", {"member": "ada"}, COORDINATOR, 422),
    ("mentor pool: a member id beyond any integer", "POST", "/oneonone/mentors", {"member": BIG}, COORDINATOR, 422),
    ("attempt: someone else's row beyond any integer", "POST", f"/oneonone/mine/{BIG}",
     {"channel": "call", "outcome": "reached"}, MENTOR, 403),
    ("attempt: a date that is not one", "POST", "/oneonone/mine/1", {"channel": "call", "outcome": "reached",
                                                                      "day": "yesterday"}, MENTOR, 303),
    ("member form: a NUL in the name", "POST", "/roster/new", {"name": "A\x00", "email": "a@example.org",
                                                               "division": "X"}, COORDINATOR, 422),
    ("member form: a name of 10,000 characters", "POST", "/roster/new", {"name": "A" * 10000,
                                                                         "email": "a@example.org", "division": "X"},
     COORDINATOR, 422),
    ("member status of a member beyond any integer", "POST", f"/roster/{BIG}/status", {"active": "0"}, COORDINATOR,
     404),
    ("a mentee link that is not one", "POST", "/oneonone/link/" + "x" * 300, {"action": "for_good"}, {}, 404),
    ("a mentee link action that is not one", "GET", "/oneonone/link/%00", None, {}, 404),
]


@pytest.fixture
def world(app, client):
    load_roster(app, ROSTER, mentors=("m1@example.org", "m2@example.org"))
    assert open_round(client, "2026-03-20").status_code == 302
    return app


def _counts(app):
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Member, Round, Assignment, Attempt, OptOut, OutgoingMail)}


@pytest.mark.parametrize("name, method, url, form, headers, status", CASES, ids=[c[0] for c in CASES])
def test_bad_page_input_is_a_clear_answer_and_writes_nothing(world, client, name, method, url, form, headers, status):
    before = _counts(world)
    answer = client.open(url, method=method, data=form, headers=headers)
    assert answer.status_code == status, answer.text[:500]
    assert _counts(world) == before


@pytest.mark.parametrize("url", ["/api/v1/members", "/api/v1/roster/import", "/api/v1/oneonone/rounds",
                                 "/api/v1/oneonone/attempts", "/api/v1/oneonone/mentors"])
@pytest.mark.parametrize("label, body, status", POISON_BODIES, ids=[p[0] for p in POISON_BODIES])
def test_poisoned_api_bodies_are_problem_json(world, client, url, label, body, status):
    before = _counts(world)
    answer = send(client, "post", url, body, headers=COORDINATOR)
    assert answer.status_code == status and answer.content_type == "application/problem+json"
    assert _counts(world) == before
