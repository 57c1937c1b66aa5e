"""Attendance: numbers per occurrence, recorded by its facilitator or an organizer."""

from __future__ import annotations

import pytest


@pytest.fixture
def hybrid(api, program, staff_id):
    response = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Hybrid circle", "format": "hybrid",
        "start": "2027-01-10T19:00:00-05:00", "end": "2027-01-10T20:30:00-05:00",
        "facilitator_ids": [staff_id("facilitator")]})
    assert response.status_code == 201, response.json
    return response.json


def test_facilitator_records_counts_and_organizer_reads_them(api, hybrid):
    url = f"/api/v1/occurrences/{hybrid['id']}/attendance"
    recorded = api("facilitator").put(url, json={"in_person": 7, "virtual": 4})
    assert recorded.status_code == 200, recorded.json
    read = api("organizer").get(url).json
    assert (read["in_person"], read["virtual"]) == (7, 4)
    assert [h["recorded_by"] for h in read["history"]] == ["facilitator@example.org"]


def test_recording_again_replaces_the_count_and_keeps_an_audit_line(api, hybrid, clock):
    url = f"/api/v1/occurrences/{hybrid['id']}/attendance"
    api("facilitator").put(url, json={"in_person": 7, "virtual": 4})
    clock.advance(hours=1)
    api("organizer").put(url, json={"in_person": 8, "virtual": 4})
    read = api("organizer").get(url).json
    assert (read["in_person"], read["virtual"]) == (8, 4)
    assert [h["recorded_by"] for h in read["history"]] == ["facilitator@example.org", "organizer@example.org"]
    assert read["history"][1]["recorded_at"] == "2027-01-15T13:00:00+00:00"


def test_facilitator_of_another_session_may_not_record(api, program, client):
    other = api("admin").post("/api/v1/staff", json={"email": "f2@example.org", "role": "facilitator"}).json
    session = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Circle", "format": "in_person",
        "start": "2027-01-10T19:00:00-05:00", "end": "2027-01-10T20:00:00-05:00"}).json
    response = client.put(f"/api/v1/occurrences/{session['id']}/attendance", json={"in_person": 3},
                          headers={"Authorization": f"Bearer {other['token']}"})
    assert response.status_code == 403


@pytest.mark.parametrize("body, field", [
    ({"in_person": 5}, "virtual"),                      # hybrid needs both
    ({"in_person": -1, "virtual": 2}, "in_person"),
    ({"in_person": 2.5, "virtual": 2}, "in_person"),
    ({"in_person": "7", "virtual": 2}, "in_person"),
    ({"in_person": 2, "virtual": 2, "names": ["A"]}, "names"),
])
def test_bad_counts_are_refused_and_nothing_is_stored(api, hybrid, body, field, table_counts):
    before = table_counts()
    response = api("facilitator").put(f"/api/v1/occurrences/{hybrid['id']}/attendance", json=body)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert field in response.json["errors"]
    assert table_counts() == before


def test_counts_only_for_formats_the_occurrence_had(api, program):
    virtual = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Online", "format": "virtual",
        "start": "2027-01-10T12:00:00-05:00", "end": "2027-01-10T13:00:00-05:00"}).json
    url = f"/api/v1/occurrences/{virtual['id']}/attendance"
    wrong = api("organizer").put(url, json={"in_person": 3, "virtual": 6})
    assert wrong.status_code == 422 and "in_person" in wrong.json["errors"]
    assert api("organizer").put(url, json={"virtual": 6}).status_code == 200


def test_no_counts_for_a_future_or_cancelled_occurrence(api, program):
    future = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Later", "format": "in_person",
        "start": "2027-02-10T19:00:00-05:00", "end": "2027-02-10T20:00:00-05:00"}).json
    response = api("organizer").put(f"/api/v1/occurrences/{future['id']}/attendance", json={"in_person": 3})
    assert response.status_code == 409 and response.json["type"] == "urn:docbox:problem:not-started"
    past = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Earlier", "format": "in_person",
        "start": "2027-01-05T19:00:00-05:00", "end": "2027-01-05T20:00:00-05:00"}).json
    api("organizer").post(f"/api/v1/occurrences/{past['id']}/cancel")
    response = api("organizer").put(f"/api/v1/occurrences/{past['id']}/attendance", json={"in_person": 3})
    assert response.status_code == 409 and response.json["type"] == "urn:docbox:problem:cancelled"


def test_viewer_cannot_read_a_single_count(api, hybrid):
    api("facilitator").put(f"/api/v1/occurrences/{hybrid['id']}/attendance", json={"in_person": 7, "virtual": 4})
    assert api("viewer").get(f"/api/v1/occurrences/{hybrid['id']}/attendance").status_code == 403


def test_attendance_writes_no_event(app, api, hybrid):
    from docbox_sessions.models import OutboxEvent, db
    with app.app_context():
        before = db.session.query(OutboxEvent).count()
    api("facilitator").put(f"/api/v1/occurrences/{hybrid['id']}/attendance", json={"in_person": 7, "virtual": 4})
    with app.app_context():
        assert db.session.query(OutboxEvent).count() == before
