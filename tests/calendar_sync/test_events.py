"""The signed events inbox: newest version wins, each event applies once, bad input is refused."""

import json
import uuid

from docbox_shared import signing
from docbox_shared.events import dump_event

from .conftest import EVENT_SECRET


def _feed_text(client, sessions, program):
    url = client.post("/api/v1/feeds", json={"programs": [program["id"]]}).get_json()["url"]
    return url.split("calendar.example.org", 1)[1]


def test_older_version_does_not_overwrite_newer(client, sessions):
    program = sessions.program()
    series = sessions.series(program, "Tuesday circle", __import__("datetime").datetime(2026, 3, 3, 19),
                             "FREQ=WEEKLY;COUNT=4")
    sessions.change("series", series, title="Renamed circle")       # version 2
    answer = sessions.deliver("series", {**series, "title": "Stale title"}, version=1)
    assert answer.get_json() == {"status": "stale"}
    body = client.get(_feed_text(client, sessions, program)).get_data(as_text=True)
    assert "Renamed circle" in body and "Stale title" not in body


def test_redelivered_event_is_acknowledged_once(client, sessions, clock):
    program = sessions.program()
    event_id = uuid.uuid4()
    state = {**program, "name": "Renamed"}
    assert sessions.deliver("program", state, version=2, event_id=event_id).get_json() == {"status": "applied"}
    assert sessions.deliver("program", state, version=2, event_id=event_id).get_json() == {"status": "duplicate"}


def test_unsigned_or_badly_signed_delivery_is_refused_with_problem(client, clock):
    envelope = dump_event(event_id=uuid.uuid4(), occurred_at=clock(), kind="program", entry_id="p1", version=1,
                          state={"id": "p1", "created_at": clock(), "updated_at": clock(), "slug": "p",
                                 "name": "P", "timezone": "UTC", "open": True})
    body = json.dumps(envelope).encode()
    answer = client.post("/api/v1/events", data=body, headers={
        **signing.sign(body, "not-the-secret"), "Content-Type": "application/json"})
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"


def test_event_not_matching_schema_gets_422_and_changes_nothing(client, clock):
    body = json.dumps({"event_id": str(uuid.uuid4()), "type": "session.changed", "occurred_at": clock().isoformat(),
                       "entry_kind": "session", "entry_id": "s1", "version": 1, "data": {"id": "s1"}}).encode()
    answer = client.post("/api/v1/events", data=body, headers={
        **signing.sign(body, EVENT_SECRET), "Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert "errors" in answer.get_json()


def test_series_whose_rule_cannot_be_expanded_is_refused_and_feeds_stay_intact(client, sessions):
    import datetime as dt

    program = sessions.program()
    good = sessions.series(program, "Good series", dt.datetime(2026, 3, 3, 19), "FREQ=WEEKLY;COUNT=4")
    path = _feed_text(client, sessions, program)
    before = client.get(path)
    # As an older sessions (before the shared check) would have sent it: dump_event refuses such a rule now.
    envelope = dump_event(event_id=uuid.uuid4(), occurred_at=sessions.clock(), kind="series", entry_id="broken",
                          version=1, state={**good, "id": "broken"})
    envelope["data"]["rrule"] = "FREQ=WEEKLY;BYDAY=XX;COUNT=2"
    body = json.dumps(envelope).encode()
    answer = client.post("/api/v1/events", data=body, headers={
        **signing.sign(body, EVENT_SECRET), "Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 304  # nothing was written, not even the program's revision


def test_openapi_document_lists_the_api(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/feeds", "/api/v1/feeds/rotate", "/api/v1/feeds/revoke",
            "/api/v1/caldav-targets", "/api/v1/caldav-targets/{target_id}"} <= set(paths)


def test_malformed_json_gets_a_problem_not_a_500(client):
    answer = client.post("/api/v1/feeds", data=b"{not json", content_type="application/json")
    assert 400 <= answer.status_code < 500 and answer.mimetype == "application/problem+json"
