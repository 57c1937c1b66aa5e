"""The occurrence list as an iCal file: the CSV's days and program, readable by ical.js, the feed's identities."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events

from docbox_sessions.models import OutboxEvent, db
from docbox_shared import signing
from support.apps import dispose, migrated_app

SECRET = "test-secret"
PASSWORD = "a long passphrase for tests"
JS = Path(__file__).resolve().parents[1] / "calendar_sync" / "js"
UTC = timezone.utc


@pytest.fixture(scope="module")
def ical_js():
    """tests/calendar_sync/js/instances.mjs, with ical.js installed from its package-lock.json when missing."""
    assert shutil.which("node") and shutil.which("npm"), "node and npm are needed to read the file with ical.js"
    if not (JS / "node_modules" / "ical.js").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True)
    return JS / "instances.mjs"


def read_with_ical_js(script, body: bytes) -> dict:
    out = subprocess.run(["node", str(script)], input=body, capture_output=True, check=True, timeout=60)
    return json.loads(out.stdout)


@pytest.fixture
def pages(app):
    """A browser-like client signed in as a viewer (the download is for every staff role)."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "add", "v@example.org", "--role", "viewer"]).exit_code == 0
    assert runner.invoke(args=["staff", "set-password", "v@example.org", "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 0
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": "v@example.org", "password": PASSWORD, "csrf_token": csrf})
    return client


def _plan(api, program):
    organizer = api("organizer")
    series = organizer.post("/api/v1/series", json={
        "program_id": program["id"], "title": "Monthly circle", "format": "in_person", "location": "Room 2",
        "start": "2027-02-10T19:00:00", "duration_minutes": 90, "rrule": "FREQ=MONTHLY;BYMONTHDAY=10;COUNT=4",
        "timezone": "America/New_York"}).json
    assert organizer.post(f"/api/v1/occurrences/{series['id']}_20270310/cancel",
                          json={"reason": "The room is being renovated"}).status_code == 200
    session = organizer.post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "After a lawsuit", "format": "virtual",
        "video_url": "https://meet.example.org/x", "start": "2027-03-20T17:30:00-04:00",
        "end": "2027-03-20T19:00:00-04:00"}).json
    other = organizer.post("/api/v1/programs", json={"name": "Residents", "timezone": "Europe/Berlin"}).json
    organizer.post("/api/v1/sessions", json={
        "program_id": other["id"], "title": "Elsewhere", "format": "in_person", "location": "Hall",
        "start": "2027-03-01T18:00:00+01:00", "end": "2027-03-01T19:00:00+01:00"})
    return series, session, other


def test_the_ical_download_holds_the_csvs_occurrences_and_ical_js_reads_them(app, api, program, pages, ical_js):
    series, session, other = _plan(api, program)
    query = f"from=2027-02-01&to=2027-04-10&program={program['id']}"
    answer = pages.get(f"/occurrences.ics?{query}")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="docbox-occurrences-2027-02-01-to-2027-04-10.ics"'
    read = read_with_ical_js(ical_js, answer.data)
    assert read["zones"] == ["America/New_York"]
    assert [(e["uid"], e["start"], e["end"], e["summary"], e["status"], e["tzid"]) for e in read["events"]] == [
        (f"docbox-series-{series['id']}", "2027-02-11T00:00:00.000Z", "2027-02-11T01:30:00.000Z", "Monthly circle",
         "CONFIRMED", "America/New_York"),
        (f"docbox-series-{series['id']}", "2027-03-11T00:00:00.000Z", "2027-03-11T01:30:00.000Z",
         "Cancelled: Monthly circle", "CANCELLED", "America/New_York"),
        (f"docbox-session-{session['id']}", "2027-03-20T21:30:00.000Z", "2027-03-20T23:00:00.000Z", "After a lawsuit",
         "CONFIRMED", "America/New_York"),
        (f"docbox-series-{series['id']}", "2027-04-10T23:00:00.000Z", "2027-04-11T00:30:00.000Z", "Monthly circle",
         "CONFIRMED", "America/New_York"),
    ], "the CSV's rows, other programs left out; April's after the clock change, in EDT"
    assert [e["recurrenceId"] for e in read["events"]] == [
        "2027-02-11T00:00:00.000Z", "2027-03-11T00:00:00.000Z", None, "2027-04-10T23:00:00.000Z"]
    csv_rows = pages.get(f"/occurrences.csv?{query}").data.decode("utf-8-sig").strip().splitlines()[1:]
    assert len(csv_rows) == len(read["events"])
    everything = read_with_ical_js(ical_js, pages.get("/occurrences.ics?from=2027-02-01&to=2027-04-10").data)
    assert sorted(everything["zones"]) == ["America/New_York", "Europe/Berlin"] and len(everything["events"]) == 5


def feed_of(app, program, make_database_url) -> bytes:
    """``program``'s feed as calendar_sync makes it of every event the sessions ``app`` published (in-process)."""
    calendar = migrated_app("calendar_sync", {"EVENT_SECRETS": [SECRET], "PUBLIC_URL": "https://calendar.example.org",
                                              "SQLALCHEMY_DATABASE_URI": make_database_url("calendar_sync"),
                                              "SESSIONS_URL": "http://127.0.0.1:9"})
    try:
        with app.app_context():
            bodies = [e.body.encode() for e in db.session.scalars(db.select(OutboxEvent).order_by(OutboxEvent.id))]
        client = calendar.test_client()
        for raw in bodies:
            assert client.post("/api/v1/events", data=raw, headers={
                **signing.sign(raw, SECRET), "Content-Type": "application/json"}).status_code == 200
        feed = client.post("/api/v1/feeds", json={"programs": [program["slug"]]}).get_json()
        return client.get(feed["url"].split("calendar.example.org", 1)[1]).data
    finally:
        dispose(calendar)


def test_each_exported_event_is_the_feeds_own_occurrence(app, api, program, pages, make_database_url):
    """Same UID, RECURRENCE-ID and SEQUENCE as calendar_sync's feed: an import updates, never duplicates;
    and the same text: a cancellation's reason, which the feed, the session page and the notice show,
    was missing from the import (it replaced the feed's text in a shared calendar)."""
    series, session, _other = _plan(api, program)
    feed_body = feed_of(app, program, make_database_url)
    in_feed = {(str(o["UID"]), o.get("RECURRENCE-ID").dt if o.get("RECURRENCE-ID") else None): o
               for o in recurring_ical_events.of(icalendar.Calendar.from_ical(feed_body)).between(
                   datetime(2027, 2, 1, tzinfo=UTC), datetime(2027, 4, 12, tzinfo=UTC))}
    exported = icalendar.Calendar.from_ical(pages.get(f"/occurrences.ics?from=2027-02-01&to=2027-04-10"
                                                      f"&program={program['id']}").data).walk("VEVENT")
    assert len(exported) == 4
    for event in exported:
        rid = event.get("RECURRENCE-ID")
        key = (str(event["UID"]), rid.dt if rid else None)
        if rid is None:  # a one-off session: the feed's occurrence carries no RECURRENCE-ID either
            key = next(k for k in in_feed if k[0] == key[0])
        twin = in_feed[key]
        assert event["DTSTART"].dt == twin["DTSTART"].dt and event["DTEND"].dt == twin["DTEND"].dt
        assert event["SEQUENCE"] == twin["SEQUENCE"] and str(event["STATUS"]) == str(twin["STATUS"])
        assert (str(event["SUMMARY"]), event.get("DESCRIPTION")) == (str(twin["SUMMARY"]), twin.get("DESCRIPTION"))
    cancelled = next(e for e in exported if str(e["STATUS"]) == "CANCELLED")
    assert str(cancelled["DESCRIPTION"]) == "Cancelled: The room is being renovated"


@pytest.mark.parametrize("query, field, message", [
    ("from=2027-04-10&to=2027-02-01", "to", "must not come before"),
    ("from=2027-01-01&to=2031-01-01", "to", "at most two years"),
    ("from=nope&to=2027-02-01", "from", "Enter a day like"),
    ("from=2027-01-01&to=2027-02-01&program=nope", "program", "Choose a program"),
])
def test_a_bad_range_answers_the_upcoming_page_with_the_error_for_both_downloads(pages, program, query, field, message):
    for path in ("/occurrences.ics", "/occurrences.csv"):
        answer = pages.get(f"{path}?{query}")
        assert answer.status_code == 422 and answer.mimetype == "text/html"
        assert message in answer.get_data(as_text=True)


def test_scripts_get_the_same_downloads_from_the_api(api, program, pages):
    _plan(api, program)
    query = f"from=2027-02-01&to=2027-04-10&program={program['id']}"
    for kind, mimetype in (("ics", "text/calendar"), ("csv", "text/csv")):
        answer = api("viewer").get(f"/api/v1/exports/occurrences.{kind}?{query}")
        assert answer.status_code == 200 and answer.mimetype == mimetype
        assert answer.data == pages.get(f"/occurrences.{kind}?{query}").data, "the page's download, byte for byte"
    refused = api("viewer").get("/api/v1/exports/occurrences.ics?from=2027-04-10&to=2027-02-01")
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert refused.json["errors"] == {"to": ["The last day must not come before the first."]}
    assert api("viewer").get("/api/v1/exports/occurrences.ics?from=2027-02-01").status_code == 422
    assert api("nobody").get(f"/api/v1/exports/occurrences.ics?{query}").status_code == 401
