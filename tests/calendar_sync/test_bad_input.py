"""Bad input to calendar_sync: every case is a 4xx problem+json and writes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from docbox_calendar_sync.models import db
from support.bad_input import POISON_BODIES, POISON_EVENTS, assert_problem, row_counts, send, signed_event

from .conftest import EVENT_SECRET, STAFF_TOKENS

ADMIN = {"Authorization": "Bearer " + next(t for t, r in STAFF_TOKENS.items() if r == "admin")}
TARGET = {"name": "Shared", "server_url": "https://dav.example.org/", "calendar_url": "https://dav.example.org/c/",
          "username": "u", "password": "p", "programs": ["p1"]}

CASES = [
    *[(f"feed: {name}", "post", "/api/v1/feeds", body, status) for name, body, status in POISON_BODIES],
    *[(f"target: {name}", "post", "/api/v1/caldav-targets", body, status) for name, body, status in POISON_BODIES],
    *[(f"event: {name}", "post", "/api/v1/events", body, status) for name, body, status in POISON_BODIES],
    ("NUL in a program reference", "post", "/api/v1/feeds", {"programs": ["p1\u0000"]}, 422),
    ("line break in a feed token", "post", "/api/v1/feeds/rotate", {"token": "abc\ndef"}, 422),
    ("alarm of 2**63 minutes", "post", "/api/v1/feeds", {"programs": ["p1"], "alarm_minutes_before": 2 ** 63}, 422),
    ("NUL in a target name", "post", "/api/v1/caldav-targets", {**TARGET, "name": "a\u0000"}, 422),
    ("line break in a target username", "post", "/api/v1/caldav-targets", {**TARGET, "username": "u\r\nX: y"}, 422),
    ("NUL in a target password", "post", "/api/v1/caldav-targets", {**TARGET, "password": "p\u0000"}, 422),
    ("empty target patch", "patch", "/api/v1/caldav-targets/{target}", {}, 422),
    ("NUL in a target id", "get", "/api/v1/caldav-targets/%00", None, 404),
    ("NUL in a feed token", "get", "/feeds/abc%00.ics", None, 404),
]


@pytest.fixture
def target(client, sessions):
    sessions.program(entry_id="p1", slug="p1")
    response = client.post("/api/v1/caldav-targets", json=TARGET, headers=ADMIN)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("name, method, url, body, status", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_problem_and_writes_nothing(app, client, target, name, method, url, body, status):
    counts = row_counts(app, db)
    before = counts()
    response = send(client, method, url.format(target=target["id"]), body, headers=ADMIN)
    assert_problem(response, status)
    assert counts() == before


@pytest.mark.parametrize("name, kind, data", POISON_EVENTS, ids=[c[0] for c in POISON_EVENTS])
def test_an_event_sessions_would_not_publish_is_refused_and_writes_nothing(app, client, sessions, name, kind, data):
    sessions.program(entry_id="p1", slug="p1")
    counts = row_counts(app, db)
    before = counts()
    raw, headers = signed_event(EVENT_SECRET, kind, data)
    problem = assert_problem(client.post("/api/v1/events", data=raw, headers=headers), 400 if b"[[[[" in raw else 422)
    assert counts() == before
    assert problem.get("errors") or problem["detail"]
