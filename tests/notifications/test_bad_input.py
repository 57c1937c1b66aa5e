"""Bad input to notifications: every case is a 4xx problem+json and writes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from docbox_notifications.models import db
from support.bad_input import POISON_BODIES, POISON_EVENTS, assert_problem, row_counts, send, signed_event

from .conftest import SECRET

CASES = [
    *[(f"subscribe: {name}", "post", "/api/v1/subscribers", body, status) for name, body, status in POISON_BODIES],
    *[(f"event: {name}", "post", "/api/v1/events", body, status) for name, body, status in POISON_BODIES],
    ("NUL in an email", "post", "/api/v1/subscribers", {"email": "a\u0000@example.org", "programs": ["prog-1"]}, 422),
    ("NUL in a program", "post", "/api/v1/subscribers", {"email": "a@example.org", "programs": ["prog-1\u0000"]}, 422),
    ("NUL in a zone", "post", "/api/v1/subscribers", {"email": "a@example.org", "programs": ["prog-1"], "timezone": "UTC\u0000"}, 422),
    ("offset of 2**63", "post", "/api/v1/subscribers", {"email": "a@example.org", "programs": ["prog-1"], "offsets_minutes": [2 ** 63]}, 422),
    ("NUL in a query", "get", "/api/v1/deliveries?status=%00", None, 422),
    ("NUL in a manage token", "get", "/manage/abc%00", None, 404),
    ("NUL in a confirm token", "post", "/confirm/%00", None, 404),
]


@pytest.mark.parametrize("name, method, url, body, status", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_problem_and_writes_nothing(app, client, calendar, name, method, url, body, status):
    calendar.program()
    counts = row_counts(app, db)
    before = counts()
    response = send(client, method, url, body, headers={"Authorization": f"Bearer {app.config['ADMIN_TOKEN']}"})
    if url.startswith("/api/"):
        assert_problem(response, status)
    else:  # a page: the same status, as HTML
        assert response.status_code == status
    assert counts() == before


@pytest.mark.parametrize("name, kind, data", POISON_EVENTS, ids=[c[0] for c in POISON_EVENTS])
def test_an_event_sessions_would_not_publish_is_refused_and_writes_nothing(app, client, calendar, name, kind, data):
    calendar.program(program_id="p1")
    counts = row_counts(app, db)
    before = counts()
    raw, headers = signed_event(SECRET, kind, data)
    assert_problem(client.post("/api/v1/events", data=raw, headers=headers), 400 if b"[[[[" in raw else 422)
    assert counts() == before
