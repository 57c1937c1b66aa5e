"""Times on the staff pages read the same length as the session, on the nights the clocks change."""

from __future__ import annotations

import html

from .test_staff_admin import sign_in, staff  # noqa: F401 - staff is the fixture that gives every role a password


def test_a_session_the_clock_change_falls_inside_shows_each_end_in_its_own_offset(app, api, program, staff):  # noqa: F811
    # Sixty minutes from 01:30 EDT on the fall-back night end at 01:30 EST: "01:30–01:30 EDT" read as none.
    created = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Night shift debrief", "format": "in_person",
        "start": "2027-11-07T01:30:00-04:00", "end": "2027-11-07T01:30:00-05:00"})
    assert created.status_code == 201, created.json
    browser = app.test_client()
    assert sign_in(browser, "organizer@example.org").status_code == 302
    page = html.unescape(browser.get(f"/occurrences/{created.json['id']}/cancel").get_data(as_text=True))
    assert "Sun 7 Nov 2027, 01:30 EDT–01:30 EST" in page
    listed = html.unescape(browser.get("/upcoming?from=2027-11-07").get_data(as_text=True))
    assert "01:30 EDT–01:30 EST" in listed and "01:30–01:30" not in listed
