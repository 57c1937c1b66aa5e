"""Shared by every service's bad-input tests: raw requests, signed raw events, row counts.

A case is ``(name, method, url, body, status)`` where ``body`` is a dict (sent
as JSON), raw bytes (sent as they are, as application/json) or None. Bodies a
JSON encoder cannot make (a 5,000-digit number, a lone surrogate, 100,000
brackets) are raw bytes.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from docbox_shared import signing

DEEP = b"[" * 100000 + b"]" * 100000
HUGE_NUMBER = b"9" * 5000

# The poisoned inputs of issue 10 item 5, as bodies for any JSON endpoint.
POISON_BODIES = [
    ("deeply nested json", DEEP, 400),
    ("5000-digit number", b'{"x": ' + HUGE_NUMBER + b"}", 400),
    ("lone surrogate", b'{"x": "\\ud800"}', 422),
    ("NUL byte", b'{"x": "a\\u0000b"}', 422),
    ("number beyond 2**63", b'{"x": [' + str(2 ** 63).encode() + b"]}", 422),
]


def send(client, method, url, body, headers=None):
    kwargs = {"headers": headers or {}}
    if isinstance(body, bytes):
        kwargs.update(data=body, content_type="application/json")
    elif body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def assert_problem(response, status):
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:500]
    assert response.mimetype == "application/problem+json", response.mimetype
    problem = response.get_json()
    assert problem["status"] == status and problem["title"] and problem["type"]
    assert "Traceback" not in text
    return problem


def signed_event(secret: str, kind: str, data: dict | bytes, version: int = 1) -> tuple[bytes, dict]:
    """A signed delivery of ``data`` as it stands (not checked on the way out, unlike ``dump_event``)."""
    envelope = {"event_id": str(uuid.uuid4()), "type": f"{kind}.changed",
                "occurred_at": datetime.now(timezone.utc).isoformat(), "entry_kind": kind,
                "entry_id": "e1" if isinstance(data, bytes) else data["id"], "version": version, "data": "@DATA@"}
    raw = json.dumps(envelope).encode()
    raw = raw.replace(b'"@DATA@"', data if isinstance(data, bytes) else json.dumps(data).encode())
    return raw, {**signing.sign(raw, secret), "Content-Type": "application/json"}


def row_counts(app, db):
    def count():
        with app.app_context():
            return {t.name: db.session.execute(db.select(db.func.count()).select_from(t)).scalar()
                    for t in db.metadata.sorted_tables}
    return count


NOW = "2027-01-10T10:00:00+00:00"
PROGRAM = {"id": "p1", "created_at": NOW, "updated_at": NOW, "slug": "p1", "name": "Doc Box",
           "description": "", "timezone": "Europe/Berlin", "open": True}
SERIES = {"id": "s1", "created_at": NOW, "updated_at": NOW, "program_id": "p1", "title": "Circle",
          "description": "", "format": "in_person", "location": "Room 4", "video_url": None,
          "timezone": "Europe/Berlin", "capacity": None, "start_local": "2027-03-03T19:00:00",
          "duration_minutes": 60, "rrule": "FREQ=WEEKLY;COUNT=4", "exceptions": [], "continues_series_id": None}

# Events the sessions service no longer publishes (the shared check refuses them) but an older one did.
POISON_EVENTS = [
    ("interval beyond any calendar", "series", {**SERIES, "rrule": "FREQ=WEEKLY;INTERVAL=99999999999999999999;COUNT=2"}),
    ("rule not starting at the start", "series", {**SERIES, "rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=2"}),
    ("rule without end", "series", {**SERIES, "rrule": "FREQ=WEEKLY"}),
    ("series in year 9999", "series", {**SERIES, "start_local": "9999-03-03T19:00:00"}),
    ("unknown zone", "series", {**SERIES, "timezone": "Mars/Olympus"}),
    ("line break in a title", "series", {**SERIES, "title": "Circle\r\nBcc: x@example.org"}),
    ("line break in a program name", "program", {**PROGRAM, "name": "Doc Box\nX"}),
    ("line break in an email subject", "program", {**PROGRAM, "email_subject": "Hi\r\nBcc: x@example.org"}),
    ("title of 5000 characters", "series", {**SERIES, "title": "x" * 5000}),
    ("NUL in a description", "series", b'{"id": "s1", "description": "a\\u0000b"}'),
    ("lone surrogate in a title", "series", b'{"id": "s1", "title": "\\ud800"}'),
    ("deeply nested state", "series", DEEP),
]
