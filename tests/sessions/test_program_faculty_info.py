"""A program's "what to expect" text and contact address: set through the API, checked, carried in its event."""

from __future__ import annotations

import json

import pytest

from docbox_sessions.models import OutboxEvent, db
from docbox_shared import events

EXPECT = "Come as you are.\n\nNothing said in the room leaves it."


def _latest_program_event(app, program_id: str) -> dict:
    with app.app_context():
        rows = db.session.scalars(db.select(OutboxEvent).order_by(OutboxEvent.id)).all()
    return [json.loads(e.body) for e in rows if json.loads(e.body)["entry_id"] == program_id][-1]


def test_what_to_expect_and_contact_are_saved_and_carried_in_the_program_event(app, api, program):
    answer = api("organizer").patch(f"/api/v1/programs/{program['id']}",
                                    json={"what_to_expect": EXPECT, "contact_email": "peer-support@example.net"})
    assert answer.status_code == 200, answer.json
    assert answer.json["what_to_expect"] == EXPECT and answer.json["contact_email"] == "peer-support@example.net"
    assert api("viewer").get(f"/api/v1/programs/{program['id']}").json["contact_email"] == "peer-support@example.net"
    event = _latest_program_event(app, program["id"])
    assert event["version"] == 2
    state = events.load_state("program", event["data"])
    assert state["what_to_expect"] == EXPECT and state["contact_email"] == "peer-support@example.net"

    cleared = api("organizer").patch(f"/api/v1/programs/{program['id']}", json={"contact_email": None})
    assert cleared.status_code == 200 and cleared.json["contact_email"] is None
    assert _latest_program_event(app, program["id"])["data"]["contact_email"] is None


def test_a_new_program_without_them_has_empty_text_and_no_contact(program):
    assert program["what_to_expect"] == "" and program["contact_email"] is None


@pytest.mark.parametrize("field, value, message", [
    ("contact_email", "not an address", "Enter an email address"),
    ("contact_email", "a@example.org\r\nBcc: b@example.org", "one line"),
    ("contact_email", "x" * 250 + "@example.org", "maximum length 254"),
    ("what_to_expect", "x" * 2001, "maximum length 2000"),
    ("what_to_expect", "bell \x07 here", "control characters"),
])
def test_bad_values_are_refused_with_a_problem_naming_the_field(app, api, program, field, value, message):
    answer = api("organizer").patch(f"/api/v1/programs/{program['id']}", json={field: value})
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    assert message.lower() in " ".join(answer.json["errors"][field]).lower()
    assert api("organizer").get(f"/api/v1/programs/{program['id']}").json["version"] == 1, "nothing was written"


def test_an_older_producers_event_without_the_fields_still_loads():
    state = events.load_state("program", {"id": "p", "created_at": "2027-01-01T00:00:00+00:00",
                                          "updated_at": "2027-01-01T00:00:00+00:00", "slug": "p", "name": "P",
                                          "timezone": "UTC", "open": True})
    assert state["what_to_expect"] == "" and state["contact_email"] is None
    assert events.check_state("program", {"id": "p", "created_at": "2027-01-01T00:00:00+00:00",
                                          "updated_at": "2027-01-01T00:00:00+00:00", "slug": "p", "name": "P",
                                          "timezone": "UTC", "open": True, "contact_email": "nope"}) \
        == {"contact_email": ["Enter an email address like name@example.org."]}
