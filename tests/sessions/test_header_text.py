"""A line break in a name, title or subject is refused at input (API and pages): it would end up in a header."""

from __future__ import annotations

import re

import pytest

BREAKS = ["Doc Box\nBcc: everyone@hospital.example", "Doc Box\r\n", "Doc\u2028Box", "Doc\x00Box", "Doc\x1bBox"]


@pytest.mark.parametrize("value", BREAKS)
@pytest.mark.parametrize("method, url, body, field", [
    ("post", "/api/v1/programs", {"name": "{v}", "timezone": "UTC"}, "name"),
    ("post", "/api/v1/programs", {"name": "Residents", "timezone": "UTC", "email_subject": "{v}"}, "email_subject"),
    ("patch", "/api/v1/programs/{program}", {"name": "{v}"}, "name"),
    ("patch", "/api/v1/programs/{program}", {"email_subject": "{v}"}, "email_subject"),
    ("post", "/api/v1/sessions", {"program_id": "{program}", "title": "{v}", "format": "in_person",
                                  "start": "2027-03-03T19:00:00-05:00", "end": "2027-03-03T20:00:00-05:00"}, "title"),
    ("post", "/api/v1/series", {"program_id": "{program}", "title": "{v}", "format": "in_person",
                                "start": "2027-03-03T19:00:00-05:00", "duration_minutes": 60,
                                "rrule": "FREQ=WEEKLY;COUNT=4"}, "title"),
])
def test_text_that_goes_into_a_header_is_refused_with_a_problem_and_writes_nothing(
        api, program, table_counts, value, method, url, body, field):
    body = {k: (v.replace("{v}", value).replace("{program}", program["id"]) if isinstance(v, str) else v)
            for k, v in body.items()}
    before = table_counts()
    answer = getattr(api("organizer"), method)(url.replace("{program}", program["id"]), json=body)
    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert field in answer.json["errors"]
    assert table_counts() == before


def test_one_line_names_with_dashes_and_accents_are_still_welcome(api, program):
    answer = api("organizer").patch(f"/api/v1/programs/{program['id']}",
                                    json={"name": "Cercle de soutien — Urgences", "email_subject": "Doc Box — {date}"})
    assert answer.status_code == 200, answer.json


def test_the_program_page_shows_the_refusal_next_to_the_field(app, client, tokens):
    from docbox_sessions.models import Staff, db
    with app.app_context():
        staff = db.session.scalar(db.select(Staff).where(Staff.role == "organizer"))
    with client.session_transaction() as cookie:
        cookie["staff_id"], cookie["stamp"] = staff.id, staff.login_stamp
    page = client.get("/programs/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = client.post("/programs/new", data={"name": "Doc Box\r\nBcc: x@y.example", "timezone": "UTC",
                                                "csrf_token": token})
    assert answer.status_code == 422
    assert re.search(r'id="name-error">.*one line', answer.text, re.S)
