"""Bad input: every case gets a 4xx problem+json answer and the database is unchanged."""

from __future__ import annotations

import json

import pytest

GOOD_SERIES = {"title": "Circle", "format": "in_person", "start": "2027-03-03T19:00:00-05:00",
               "duration_minutes": 90, "rrule": "FREQ=WEEKLY;COUNT=4"}
GOOD_SESSION = {"title": "Circle", "format": "in_person", "start": "2027-03-03T19:00:00-05:00",
                "end": "2027-03-03T20:00:00-05:00"}

CASES = [
    # (name, method, url, body or raw bytes, content type, expected status, field named in errors)
    ("end before start", "post", "/api/v1/sessions", {**GOOD_SESSION, "end": "2027-03-03T18:00:00-05:00"}, None, 422, "end"),
    ("naive session time", "post", "/api/v1/sessions", {**GOOD_SESSION, "start": "2027-03-03T19:00:00"}, None, 422, "start"),
    ("session over a day", "post", "/api/v1/sessions", {**GOOD_SESSION, "end": "2027-03-05T20:00:00-05:00"}, None, 422, "end"),
    ("unknown zone", "post", "/api/v1/series", {**GOOD_SERIES, "timezone": "Mars/Olympus"}, None, 422, "timezone"),
    ("unknown program zone", "post", "/api/v1/programs", {"name": "X", "timezone": "Not/AZone"}, None, 422, "timezone"),
    ("unparseable rule", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=SOMETIMES;COUNT=2"}, None, 422, "rrule"),
    ("garbage rule", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "every tuesday"}, None, 422, "rrule"),
    ("secondly rule", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=SECONDLY;COUNT=5"}, None, 422, "rrule"),
    ("hourly by part", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=WEEKLY;BYHOUR=1,2,3;COUNT=5"}, None, 422, "rrule"),
    ("rule without end", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=WEEKLY"}, None, 422, "rrule"),
    ("absurd count", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=DAILY;COUNT=100000"}, None, 422, "rrule"),
    ("absurd until", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=DAILY;UNTIL=29991231"}, None, 422, "rrule"),
    ("start off the rule", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3"}, None, 422, "rrule"),
    ("in person without location", "post", "/api/v1/series", {**GOOD_SERIES, "location": ""}, None, 422, "location"),
    ("virtual without link", "post", "/api/v1/sessions", {**GOOD_SESSION, "format": "virtual", "video_url": ""}, None, 422, "video_url"),
    ("http video link", "post", "/api/v1/sessions", {**GOOD_SESSION, "format": "virtual", "video_url": "http://x.org/a"}, None, 422, "video_url"),
    ("unknown format", "post", "/api/v1/sessions", {**GOOD_SESSION, "format": "telepathy"}, None, 422, "format"),
    ("unknown program", "post", "/api/v1/sessions", {**GOOD_SESSION, "program_id": "nope"}, None, 422, "program_id"),
    ("unknown facilitator", "post", "/api/v1/sessions", {**GOOD_SESSION, "facilitator_ids": [9999]}, None, 422, "facilitator_ids"),
    ("unknown field", "post", "/api/v1/sessions", {**GOOD_SESSION, "attendees": ["Dr. A"]}, None, 422, "attendees"),
    ("string capacity", "post", "/api/v1/sessions", {**GOOD_SESSION, "capacity": "ten"}, None, 422, "capacity"),
    ("not json", "post", "/api/v1/sessions", b"{this is not json", "application/json", 400, None),
    ("json array", "post", "/api/v1/sessions", b"[1, 2]", "application/json", 422, None),
    ("wrong content type", "post", "/api/v1/sessions", b"title=Circle", "application/x-www-form-urlencoded", 415, None),
    ("huge body", "post", "/api/v1/sessions", b'{"title": "' + b"x" * (1024 * 1024 + 10) + b'"}', "application/json", 413, None),
    ("empty patch", "patch", "/api/v1/series/{series}", {}, None, 422, None),
    ("patch unknown field", "patch", "/api/v1/series/{series}", {"rsvp": True}, None, 422, "rsvp"),
    ("end series before start", "post", "/api/v1/series/{series}/end", {"on": "2027-01-01"}, None, 422, "on"),
    ("move to end before start", "patch", "/api/v1/occurrences/{occurrence}", {"start": "2027-03-10T19:00:00-05:00", "end": "2027-03-10T18:00:00-05:00"}, None, 422, "end"),
    ("window upside down", "get", "/api/v1/occurrences?from=2027-03-01T00:00:00Z&to=2027-01-01T00:00:00Z", None, None, 422, "to"),
    ("window not a date", "get", "/api/v1/occurrences?from=yesterday", None, None, 422, "from"),
    ("window in year 1", "get", "/api/v1/occurrences?from=0001-08-27T22:57:37%2B22:46", None, None, 422, "from"),
    ("stats window in year 1", "get", "/api/v1/stats/attendance?to=0001-08-27T22:57:37%2B22:46", None, None, 422, "to"),
    ("session in year 9999", "post", "/api/v1/sessions", {**GOOD_SESSION, "start": "9999-12-31T23:00:00+00:00",
                                                          "end": "9999-12-31T23:30:00+00:00"}, None, 422, "start"),
    ("stats grouping", "get", "/api/v1/stats/attendance?group_by=person", None, None, 422, "group_by"),
    # Input that reached the database or a consumer and answered 500 (issue 10 item 5), on SQLite or PostgreSQL.
    ("lone surrogate in a title", "post", "/api/v1/sessions", b'{"title": "Circle \\ud800", "format": "in_person", '
     b'"start": "2027-03-03T19:00:00-05:00", "end": "2027-03-03T20:00:00-05:00", "program_id": "{program}"}', "application/json", 422, "title"),
    ("lone surrogate in a program name", "post", "/api/v1/programs", b'{"name": "\\udfff", "timezone": "UTC"}', "application/json", 422, "name"),
    ("lone surrogate in a field name", "post", "/api/v1/programs", b'{"name": "A", "timezone": "UTC", "\\ud800": 1}', "application/json", 422, None),
    ("deeply nested json", "post", "/api/v1/programs", b"[" * 100000 + b"]" * 100000, "application/json", 400, None),
    ("nested json in a field", "post", "/api/v1/programs", b'{"name": "A", "timezone": "UTC", "open": ' + b"[" * 5000 + b"]" * 5000 + b"}", "application/json", 400, None),
    ("5000-digit number", "post", "/api/v1/programs", b'{"name": "A", "timezone": "UTC", "open": ' + b"9" * 5000 + b"}", "application/json", 400, None),
    ("not-a-number constant", "put", "/api/v1/occurrences/{occurrence}/attendance", b'{"in_person": NaN}', "application/json", 400, None),
    ("infinite number", "put", "/api/v1/occurrences/{occurrence}/attendance", b'{"in_person": 1e400}', "application/json", 422, "in_person"),
    ("facilitator id 2**63", "post", "/api/v1/sessions", {**GOOD_SESSION, "facilitator_ids": [2 ** 63]}, None, 422, "facilitator_ids"),
    ("facilitator id 2**31", "post", "/api/v1/series", {**GOOD_SERIES, "facilitator_ids": [2 ** 31]}, None, 422, "facilitator_ids"),
    ("capacity 2**63", "post", "/api/v1/sessions", {**GOOD_SESSION, "capacity": 2 ** 63}, None, 422, "capacity"),
    ("NUL in a title", "post", "/api/v1/sessions", {**GOOD_SESSION, "title": "Circle\u0000"}, None, 422, "title"),
    ("NUL in a description", "post", "/api/v1/series", {**GOOD_SERIES, "description": "a\u0000b"}, None, 422, "description"),
    ("NUL in a location", "patch", "/api/v1/occurrences/{occurrence}", {"location": "Room\u00002"}, None, 422, "location"),
    ("NUL in a program name", "post", "/api/v1/programs", {"name": "Doc\u0000Box", "timezone": "UTC"}, None, 422, "name"),
    ("NUL in a zone", "post", "/api/v1/programs", {"name": "Doc Box", "timezone": "UTC\u0000"}, None, 422, "timezone"),
    ("NUL in a rule", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=WEEKLY;COUNT=4\u0000"}, None, 422, "rrule"),
    ("NUL in a program id", "post", "/api/v1/sessions", {**GOOD_SESSION, "program_id": "\u0000"}, None, 422, "program_id"),
    ("NUL in a staff name", "post", "/api/v1/staff", {"email": "n@example.org", "name": "N\u0000", "role": "viewer"}, None, 422, "name"),
    ("NUL in a query", "get", "/api/v1/occurrences?program=%00", None, None, 422, "program"),
    ("NUL in the occurrence id", "get", "/api/v1/occurrences/abc%00_20270310", None, None, 404, None),
    ("NUL in the occurrence id of a move", "patch", "/api/v1/occurrences/%00", {"location": "Room 2"}, None, 404, None),
    ("NUL in the series id", "get", "/api/v1/series/%00", None, None, 404, None),
    ("line break in a title", "post", "/api/v1/sessions", {**GOOD_SESSION, "title": "Circle\r\nBcc: x@example.org"}, None, 422, "title"),
    ("line break in a program name", "post", "/api/v1/programs", {"name": "Doc Box\nX", "timezone": "UTC"}, None, 422, "name"),
    ("line break in an email subject", "patch", "/api/v1/programs/{program}", {"email_subject": "Hi\r\nBcc: x@example.org"}, None, 422, "email_subject"),
    ("control character in a description", "post", "/api/v1/sessions", {**GOOD_SESSION, "description": "a\u0007b"}, None, 422, "description"),
    ("slug of 81 characters", "post", "/api/v1/programs", {"name": "Long", "timezone": "UTC", "slug": "a" * 81}, None, 422, "slug"),
    ("name making a slug of 81", "post", "/api/v1/programs", {"name": "a" * 200, "timezone": "UTC"}, None, 201, None),
    ("interval beyond any calendar", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=WEEKLY;INTERVAL=99999999999999999999;COUNT=2"}, None, 422, "rrule"),
    ("interval once", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=DAILY;INTERVAL=99999999999999999999;COUNT=1"}, None, 422, "rrule"),
    ("count of many digits", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=DAILY;COUNT=" + "9" * 40}, None, 422, "rrule"),
    ("by-month-day beyond any month", "post", "/api/v1/series", {**GOOD_SERIES, "rrule": "FREQ=MONTHLY;BYMONTHDAY=99999999999999999999;COUNT=2"}, None, 422, "rrule"),
    ("empty program patch", "patch", "/api/v1/programs/{program}", {}, None, 422, None),
    ("empty session patch", "patch", "/api/v1/sessions/{session}", {}, None, 422, None),
    ("empty occurrence patch", "patch", "/api/v1/occurrences/{occurrence}", {}, None, 422, None),
    ("cancel reason of 201 characters", "post", "/api/v1/occurrences/{occurrence}/cancel", {"reason": "x" * 201}, None, 422, "reason"),
    ("line break in a cancel reason", "post", "/api/v1/occurrences/{occurrence}/cancel", {"reason": "Room\r\nBcc: x@example.org"}, None, 422, "reason"),
    ("NUL in a cancel reason", "post", "/api/v1/occurrences/{occurrence}/cancel", {"reason": "a\u0000b"}, None, 422, "reason"),
    ("cancel reason not text", "post", "/api/v1/occurrences/{occurrence}/cancel", {"reason": ["x"]}, None, 422, "reason"),
    ("delete an unknown session", "delete", "/api/v1/sessions/nope", None, None, 404, None),
    ("delete an unknown series", "delete", "/api/v1/series/%00", None, None, 404, None),
    ("unknown method", "delete", "/api/v1/programs", None, None, 405, None),
    ("unknown path", "get", "/api/v1/attendees", None, None, 404, None),
]


@pytest.fixture
def series(api, program):
    response = api("organizer").post("/api/v1/series", json={"program_id": program["id"], **GOOD_SERIES})
    assert response.status_code == 201
    return response.json


@pytest.fixture
def session(api, program):
    response = api("organizer").post("/api/v1/sessions", json={"program_id": program["id"], **GOOD_SESSION})
    assert response.status_code == 201
    return response.json


@pytest.mark.parametrize("name, method, url, body, content_type, status, field", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_a_problem_and_writes_nothing(api, program, series, session, table_counts,
                                                  name, method, url, body, content_type, status, field):
    if status < 300:  # a case that looks bad but is fine: accepted as it is
        response = getattr(api("organizer"), method)(url, json=body)
        assert response.status_code == status, response.json
        return
    url = url.format(series=series["id"], occurrence=f"{series['id']}_20270310", program=program["id"],
                     session=session["id"])
    if isinstance(body, bytes):
        body = body.replace(b"{program}", program["id"].encode())
    if isinstance(body, dict) and method == "post" and url in ("/api/v1/sessions", "/api/v1/series"):
        body = {"program_id": program["id"], **body}
    before = table_counts()
    kwargs = {}
    if isinstance(body, bytes):
        kwargs = {"data": body, "content_type": content_type}
    elif body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    response = getattr(api("organizer"), method)(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["status"] == status and problem["title"] and problem["type"]
    if field:
        assert field in problem["errors"], problem
    assert "Traceback" not in response.get_data(as_text=True)
    assert table_counts() == before
