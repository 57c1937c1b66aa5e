"""Undo through the API: a cancellation's short reason, restoring, deleting a session or a series planned by
mistake (refused once attendance is recorded), and ending a series that has not started."""

from __future__ import annotations

import json

import pytest

from .test_calendar_api import new_series, occurrences


def last_event(app, entry_id: str) -> dict:
    from docbox_sessions.models import OutboxEvent, db
    with app.app_context():
        row = db.session.query(OutboxEvent).filter_by(entry_id=entry_id).order_by(OutboxEvent.version.desc()).first()
        return json.loads(row.body)


def new_session(api, program, start="2027-02-01T17:30:00-05:00", end="2027-02-01T19:00:00-05:00"):
    response = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Circle", "format": "in_person", "start": start, "end": end})
    assert response.status_code == 201, response.json
    return response.json


def test_a_cancellation_carries_its_reason_to_the_occurrence_and_the_event_and_a_restore_clears_it(api, program, app):
    session = new_session(api, program)
    series = new_series(api, program, start="2027-02-02T19:00:00-05:00", rrule="FREQ=WEEKLY;COUNT=3")
    day = f"{series['id']}_20270209"
    for occurrence_id in (session["id"], day):
        answer = api("organizer").post(f"/api/v1/occurrences/{occurrence_id}/cancel",
                                       json={"reason": "Room unavailable"})
        assert (answer.status_code, answer.json["status"], answer.json["cancel_reason"]) == (
            200, "cancelled", "Room unavailable")
    assert last_event(app, session["id"])["data"]["cancel_reason"] == "Room unavailable"
    [exception] = last_event(app, series["id"])["data"]["exceptions"]
    assert (exception["status"], exception["cancel_reason"]) == ("cancelled", "Room unavailable")
    assert {o["id"]: o["cancel_reason"] for o in occurrences(api, role="viewer")}[day] == "Room unavailable"

    changed = api("organizer").post(f"/api/v1/occurrences/{day}/cancel", json={"reason": "Facilitator unwell"})
    assert changed.json["cancel_reason"] == "Facilitator unwell", "cancelling again changes only the reason"
    restored = api("organizer").post(f"/api/v1/occurrences/{day}/restore")
    assert (restored.json["status"], restored.json["cancel_reason"]) == ("scheduled", None)
    plain = api("organizer").post(f"/api/v1/occurrences/{session['id']}/restore")
    assert plain.json["cancel_reason"] is None and last_event(app, session["id"])["data"]["cancel_reason"] is None
    no_reason = api("organizer").post(f"/api/v1/occurrences/{session['id']}/cancel")
    assert (no_reason.status_code, no_reason.json["cancel_reason"]) == (200, None)


@pytest.mark.parametrize("reason", ["x" * 201, "Room\nunavailable"])
def test_a_long_or_multi_line_reason_is_refused_and_nothing_changes(api, program, reason):
    session = new_session(api, program)
    answer = api("organizer").post(f"/api/v1/occurrences/{session['id']}/cancel", json={"reason": reason})
    assert answer.status_code == 422 and answer.headers["Content-Type"] == "application/problem+json"
    assert "reason" in json.dumps(answer.json)
    assert api("viewer").get(f"/api/v1/occurrences/{session['id']}").json["status"] == "scheduled"


def test_a_future_session_is_deleted_with_a_last_event_that_marks_it_deleted(api, program, app):
    session = new_session(api, program)
    assert api("viewer").delete(f"/api/v1/sessions/{session['id']}").status_code == 403
    answer = api("organizer").delete(f"/api/v1/sessions/{session['id']}")
    assert answer.status_code == 204
    assert api("viewer").get(f"/api/v1/sessions/{session['id']}").status_code == 404
    assert session["id"] not in {o["id"] for o in occurrences(api)}
    event = last_event(app, session["id"])
    assert (event["version"], event["data"]["deleted"], event["data"]["title"]) == (2, True, "Circle")


def test_a_session_that_started_or_was_counted_is_not_deleted(api, program, clock):
    session = new_session(api, program, start="2027-01-15T06:00:00-05:00", end="2027-01-15T08:00:00-05:00")
    started = api("organizer").delete(f"/api/v1/sessions/{session['id']}")
    assert started.status_code == 409 and "has started" in started.json["detail"]
    assert api("organizer").put(f"/api/v1/occurrences/{session['id']}/attendance",
                                json={"in_person": 7}).status_code == 200
    counted = api("organizer").delete(f"/api/v1/sessions/{session['id']}")
    assert counted.status_code == 409 and counted.headers["Content-Type"] == "application/problem+json"
    assert counted.json["type"] == "urn:docbox:problem:has-attendance"
    assert "Attendance has been recorded" in counted.json["detail"]
    assert api("viewer").get(f"/api/v1/sessions/{session['id']}").status_code == 200


def test_a_series_without_attendance_is_deleted_and_one_with_attendance_is_refused(api, program, app, clock):
    ahead = new_series(api, program)
    begun = new_series(api, program, start="2027-01-06T19:00:00-05:00", rrule="FREQ=WEEKLY;COUNT=4")
    counted = new_series(api, program, start="2027-01-07T19:00:00-05:00", rrule="FREQ=WEEKLY;COUNT=4")
    assert api("organizer").post(f"/api/v1/occurrences/{ahead['id']}_20270310/cancel",
                                 json={"reason": "Holiday"}).status_code == 200
    assert api("organizer").put(f"/api/v1/occurrences/{counted['id']}_20270107/attendance",
                                json={"in_person": 6}).status_code == 200

    for series in (ahead, begun):
        assert api("organizer").delete(f"/api/v1/series/{series['id']}").status_code == 204
        assert api("viewer").get(f"/api/v1/series/{series['id']}").status_code == 404
        event = last_event(app, series["id"])
        assert event["data"]["deleted"] is True
    assert last_event(app, ahead["id"])["data"]["exceptions"][0]["cancel_reason"] == "Holiday"
    refused = api("organizer").delete(f"/api/v1/series/{counted['id']}")
    assert refused.status_code == 409 and refused.json["type"] == "urn:docbox:problem:has-attendance"
    assert "End the series from a date instead" in refused.json["detail"]
    assert {o["entry_id"] for o in occurrences(api)} == {counted["id"]}


def test_a_series_that_has_not_started_is_ended_before_its_first_occurrence_is_left(api, program):
    series = new_series(api, program)  # four Wednesdays from 3 March
    ended = api("organizer").post(f"/api/v1/series/{series['id']}/end", json={"on": "2027-03-17"})
    assert ended.status_code == 200, ended.json
    assert [o["start"][:10] for o in occurrences(api)] == ["2027-03-03", "2027-03-10"]
    too_early = api("organizer").post(f"/api/v1/series/{series['id']}/end", json={"on": "2027-03-03"})
    assert too_early.status_code == 422
