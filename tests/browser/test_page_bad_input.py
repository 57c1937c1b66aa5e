"""Staff pages fuzzed with the inputs the API refuses: a clear 4xx page, never a 500, nothing written.

Through the app's test client (no browser needed): the answers are what a
person sees after following a crafted link or sending a crafted form.
"""

from __future__ import annotations

import re

import pytest

from docbox_sessions.models import db

PASSWORD = "a long passphrase for tests"  # as tests/browser/conftest.py sets it

BAD_LINKS = [
    ("/month?month=9999-12", 422, "between 1970 and 2199"),
    ("/month?month=0001-01", 422, "between 1970 and 2199"),
    ("/month?month=2200-01", 422, "between 1970 and 2199"),
    ("/month?month=2027-13", 422, "between 1970 and 2199"),
    ("/month?month=99999999999999999999-01", 422, "between 1970 and 2199"),
    ("/upcoming?from=0001-01-01", 422, "between 1970 and 2199"),
    ("/upcoming?from=9999-12-31", 422, "between 1970 and 2199"),
    ("/upcoming?from=yesterday", 422, "between 1970 and 2199"),
    ("/stats?from=0001-01&to=0001-02", 422, "between 1970 and 2199"),
    ("/stats?from=9999-11&to=9999-12", 422, "between 1970 and 2199"),
    ("/stats?to=0001-01", 422, "between 1970 and 2199"),
    ("/upcoming?program=%00", 422, "not valid text"),
    ("/occurrences/abc%00_20270310", 404, "Not Found"),
    ("/series/%00/edit", 404, "Not Found"),
]
GOOD_LINKS = ["/month?month=1970-01", "/month?month=2199-12", "/upcoming?from=1970-01-01", "/upcoming?from=2199-12-31",
              "/stats?from=2195-01&to=2199-12", "/stats?from=1970-01&to=1970-02"]


def _sign_in(client, email):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.fixture
def organizer(app, staff):
    client = app.test_client()
    _sign_in(client, staff["organizer"])
    return client


def _token(client, url):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def _rows(app):
    with app.app_context():
        return {t.name: db.session.execute(db.select(db.func.count()).select_from(t)).scalar()
                for t in db.metadata.sorted_tables if t.name != "login_attempts"}


@pytest.mark.parametrize("url, status, words", BAD_LINKS, ids=[b[0] for b in BAD_LINKS])
def test_a_crafted_link_gets_a_clear_page_not_a_500(organizer, url, status, words):
    response = organizer.get(url)
    assert response.status_code == status, response.text[:300]
    assert response.mimetype == "text/html" and words in response.text


@pytest.mark.parametrize("url", GOOD_LINKS)
def test_the_first_and_last_months_doc_box_knows_are_shown(organizer, url):
    assert organizer.get(url).status_code == 200


BAD_FORMS = [
    ("NUL in a program name", {"name": "Doc\x00Box", "timezone": "UTC"}),
    ("line break in a program name", {"name": "Doc Box\r\nBcc: x@example.org", "timezone": "UTC"}),
    ("control character in a description", {"name": "Doc Box", "timezone": "UTC", "description": "a\x07b"}),
    ("slug of 81", {"name": "Doc Box", "timezone": "UTC", "slug": "a" * 81}),
]


@pytest.mark.parametrize("name, form", BAD_FORMS, ids=[b[0] for b in BAD_FORMS])
def test_a_crafted_form_is_refused_and_writes_nothing(app, organizer, name, form):
    before = _rows(app)
    response = organizer.post("/programs/new", data={**form, "csrf_token": _token(organizer, "/programs/new")})
    assert 400 <= response.status_code < 500, response.text[:300]
    assert _rows(app) == before


@pytest.mark.parametrize("reason, words", [("x" * 201, "Use at most 200 characters."),
                                          ("Room\r\nBcc: x@example.org", "Must be one line")],
                         ids=["reason of 201 characters", "line break in a reason"])
def test_a_crafted_cancel_reason_is_refused_and_cancels_nothing(app, organizer, reason, words):
    from datetime import datetime

    from docbox_sessions import operations
    with app.app_context():
        program = operations.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        session_id = operations.create_session(dict(
            program_id=program.id, title="Circle", format="in_person", location="Room 2",
            start=datetime.fromisoformat("2027-02-01T17:30:00-05:00"),
            end=datetime.fromisoformat("2027-02-01T19:00:00-05:00"))).id
        db.session.commit()
    before = _rows(app)
    url = f"/occurrences/{session_id}/cancel"
    response = organizer.post(url, data={"reason": reason, "csrf_token": _token(organizer, url)})
    assert response.status_code == 422 and words in response.text, response.text[:300]
    assert _rows(app) == before
