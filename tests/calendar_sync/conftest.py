"""Fixtures of the calendar_sync tests.

- ``clock``: the service's clock, a fixed instant tests move with ``advance``.
- ``app`` / ``client`` / ``runner``: the app on a fresh database (SQLite, or
  PostgreSQL with ``DOCBOX_TEST_DATABASE_URL``), schema built by migrations.
- ``sessions``: plays the sessions service's part in two ways: it keeps entry
  states and POSTs signed events for them to ``/api/v1/events``, exactly as the
  relay does, and it runs a tiny real Flask app on a free port that stands in
  for sessions' ``GET /api/v1/me`` (staff bearer tokens, and the sign-in cookie values of ``STAFF_COOKIES``).
- ``radicale`` / ``xandikos`` / ``caldav_server`` (tests/conftest.py): real
  CalDAV servers on free ports over tmp folders, with a calendar ready;
  ``stop()`` and ``start()`` them at will.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from support.apps import running_app
from support.clock import Clock, clock_config
from support.ports import free_port
from support.publishers import Publisher

UTC = timezone.utc
EVENT_SECRET = "calendar-sync-test-secret"
STAFF_TOKENS = {"admin-token-0123456789": "admin", "organizer-token-0123456789": "organizer"}
ADMIN = {"Authorization": "Bearer admin-token-0123456789"}
ORGANIZER = {"Authorization": "Bearer organizer-token-0123456789"}
# Values of the suite's sign-in cookie (docbox_staff) the stand-in knows, by role.
STAFF_COOKIES = {"admin": "admin-cookie-0123456789", "organizer": "organizer-cookie-0123456789"}


@pytest.fixture
def clock():
    return Clock(datetime(2026, 2, 20, 12, 0, tzinfo=UTC))


# --- the stand-in for the sessions service's /api/v1/me --------------------------

class StaffServer:
    """A real HTTP server answering ``GET /api/v1/me`` as the sessions service does."""

    def __init__(self):
        self.calls = 0
        app = Flask("sessions-stand-in")

        @app.get("/api/v1/me")
        def me():
            self.calls += 1
            header = request.headers.get("Authorization", "")
            if header:
                role = STAFF_TOKENS.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
            else:
                cookies = {v: k for k, v in STAFF_COOKIES.items()}
                role = cookies.get(request.cookies.get("docbox_staff", ""))
            if role is None:
                return jsonify(title="Authentication required", status=401), 401
            return jsonify(email=f"{role}@example.org", role=role, outreach_role=None)

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def staff_server():
    server = StaffServer()
    yield server
    server.stop()


# --- the app ---------------------------------------------------------------------

@pytest.fixture
def app(make_database_url, clock, staff_server):
    with running_app("calendar_sync", {
        "SQLALCHEMY_DATABASE_URI": make_database_url("calendar_sync"),
        "EVENT_SECRETS": [EVENT_SECRET],
        **clock_config("calendar_sync", clock),
        "PUBLIC_URL": "https://calendar.example.org",
        "SESSIONS_URL": staff_server.url,
        "CALDAV_TIMEOUT": 5.0,
    }) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- the sessions service's events -----------------------------------------------

class Sessions(Publisher):
    """Keeps entry states like the sessions service and delivers their events, signed.

    ``program()``, ``session()``, ``series()`` create entries; ``change()``
    updates one (version + 1) and delivers it. ``states`` holds what sessions
    would list, for comparing with what clients see.
    """

    def __init__(self, client, clock):
        super().__init__(client.post, EVENT_SECRET, clock)
        self.client = client

    def _base(self, entry_id):
        at = self.clock()
        return {"id": entry_id or uuid.uuid4().hex[:12], "created_at": at, "updated_at": at}

    def program(self, name="Peer support", open=True, entry_id=None, slug=None, timezone="Europe/Berlin", **extra):
        state = {**self._base(entry_id), "slug": slug or name.lower().replace(" ", "-"), "name": name,
                 "description": "", "timezone": timezone, "open": open, **extra}
        self.deliver("program", state)
        return state

    def session(self, program, title, start, end, *, tz="Europe/Berlin", status="scheduled",
                location="Room 4", video_url=None, description="", entry_id=None):
        state = {**self._base(entry_id), "program_id": program["id"], "title": title, "description": description,
                 "format": "hybrid" if video_url else "in_person", "location": location, "video_url": video_url,
                 "timezone": tz, "capacity": None, "start": start, "end": end, "status": status}
        self.deliver("session", state)
        return state

    def series(self, program, title, start_local, rrule, *, minutes=60, tz="Europe/Berlin", location="Room 4",
               video_url=None, description="", exceptions=(), entry_id=None):
        state = {**self._base(entry_id), "program_id": program["id"], "title": title, "description": description,
                 "format": "hybrid" if video_url else "in_person", "location": location, "video_url": video_url,
                 "timezone": tz, "capacity": None, "start_local": start_local, "duration_minutes": minutes,
                 "rrule": rrule, "exceptions": list(exceptions), "continues_series_id": None}
        self.deliver("series", state)
        return state

    def change(self, kind, state, **changes):
        state = {**state, **changes, "updated_at": self.clock()}
        self.deliver(kind, state)
        return state

    def exception(self, series, day, status="scheduled", start=None, end=None, location=None):
        exc = {"date": day, "status": status, "start": start, "end": end, "location": location,
               "video_url": None, "updated_at": self.clock()}
        others = [e for e in series["exceptions"] if e["date"] != day]
        return self.change("series", series, exceptions=[*others, exc])


@pytest.fixture
def sessions(client, clock):
    return Sessions(client, clock)


# --- Node's ical.js, a parser nobody here wrote ------------------------------------

@pytest.fixture(scope="module")
def ical_js():
    """The Node script, with ical.js installed from package-lock.json when missing."""
    js = Path(__file__).parent / "js"
    assert shutil.which("node") and shutil.which("npm"), "node and npm are needed for the ical.js parity test"
    if not (js / "node_modules" / "ical.js").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=js, check=True, capture_output=True)
    return js / "expand.mjs"
