"""Fixtures of the calendar_sync tests.

- ``clock``: the service's clock, a fixed instant tests move with ``advance``.
- ``app`` / ``client`` / ``runner``: the app on a fresh database (SQLite, or
  PostgreSQL with ``DOCBOX_TEST_DATABASE_URL``), schema built by migrations.
- ``sessions``: plays the sessions service's part in two ways: it keeps entry
  states and POSTs signed events for them to ``/api/v1/events``, exactly as the
  relay does, and it runs a tiny real Flask app on a free port that stands in
  for sessions' ``GET /api/v1/me`` (staff bearer tokens).
- ``radicale`` / ``xandikos``: real CalDAV servers on free ports over tmp
  folders, with a calendar ready; ``stop()`` and ``start()`` them at will.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from docbox_shared import signing
from docbox_shared.events import dump_event

UTC = timezone.utc
EVENT_SECRET = "calendar-sync-test-secret"
STAFF_TOKENS = {"admin-token-0123456789": "admin", "organizer-token-0123456789": "organizer"}
ADMIN = {"Authorization": "Bearer admin-token-0123456789"}
ORGANIZER = {"Authorization": "Bearer organizer-token-0123456789"}
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at


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
            role = STAFF_TOKENS.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
            if role is None:
                return jsonify(title="Authentication required", status=401), 401
            return jsonify(email=f"{role}@example.org", role=role)

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
    from flask_migrate import upgrade

    from docbox_calendar_sync import create_app

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": make_database_url("calendar_sync"),
        "EVENT_SECRETS": [EVENT_SECRET],
        "CLOCK": clock,
        "PUBLIC_URL": "https://calendar.example.org",
        "SESSIONS_URL": staff_server.url,
        "CALDAV_TIMEOUT": 5.0,
    })
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        from docbox_calendar_sync.models import db
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- the sessions service's events -----------------------------------------------

class Sessions:
    """Keeps entry states like the sessions service and delivers their events, signed.

    ``program()``, ``session()``, ``series()`` create entries; ``change()``
    updates one (version + 1) and delivers it. ``states`` holds what sessions
    would list, for comparing with what clients see.
    """

    def __init__(self, client, clock):
        self.client, self.clock = client, clock
        self.states: dict[tuple[str, str], dict] = {}
        self.versions: dict[tuple[str, str], int] = {}

    def deliver(self, kind: str, state: dict, version: int | None = None, event_id=None):
        key = (kind, state["id"])
        if version is None:
            version = self.versions.get(key, 0) + 1
        self.versions[key] = max(version, self.versions.get(key, 0))
        self.states[key] = state
        envelope = dump_event(event_id=event_id or uuid.uuid4(), occurred_at=self.clock(), kind=kind,
                              entry_id=state["id"], version=version, state=state)
        body = json.dumps(envelope).encode()
        headers = {**signing.sign(body, EVENT_SECRET), "Content-Type": "application/json",
                   "X-Request-Id": uuid.uuid4().hex}
        response = self.client.post("/api/v1/events", data=body, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response

    def _base(self, entry_id):
        at = self.clock()
        return {"id": entry_id or uuid.uuid4().hex[:12], "created_at": at, "updated_at": at}

    def program(self, name="Peer support", open=True, entry_id=None, slug=None, timezone="Europe/Berlin"):
        state = {**self._base(entry_id), "slug": slug or name.lower().replace(" ", "-"), "name": name,
                 "description": "", "timezone": timezone, "open": open}
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


# --- real CalDAV servers -----------------------------------------------------------

def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url}: server did not start")


class CalDAVServer:
    """A real CalDAV server process; ``calendar_url`` is a calendar collection ready for use."""

    name = ""
    username, password = "docbox", "s3cret-push-password"

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self):
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL,
                                     stderr=open(self.root / "server.log", "ab"))
        _wait_http(self.base + "/", self.proc)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def auth(self):
        return (self.username, self.password)

    def http(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.auth = self.auth
        return session

    def objects(self) -> dict[str, str]:
        """``{resource name: iCalendar text}`` of every object in the calendar."""
        import xml.etree.ElementTree as ET
        from urllib.parse import unquote, urlsplit

        http = self.http()
        answer = http.request("PROPFIND", self.calendar_url,
                              headers={"Depth": "1", "Content-Type": "application/xml"},
                              data=b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>'
                                   b'</d:prop></d:propfind>')
        assert answer.status_code == 207, answer.text
        base = urlsplit(self.calendar_url).path.rstrip("/")
        found = {}
        for href in ET.fromstring(answer.content).iter("{DAV:}href"):
            path = urlsplit(href.text).path
            if path.rstrip("/") == base:
                continue
            name = unquote(path.rsplit("/", 1)[-1])
            found[name] = http.get(self.calendar_url + name).text
        return found


class Radicale(CalDAVServer):
    name = "radicale"

    def __init__(self, root):
        super().__init__(root)
        (root / "users").write_text(f"{self.username}:{self.password}\n")
        self.calendar_url = f"{self.base}/{self.username}/docbox/"

    def command(self):
        return [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
                "--storage-filesystem-folder", str(self.root / "collections"),
                "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(self.root / "users"),
                "--auth-htpasswd-encryption", "plain", "--rights-type", "owner_only",
                "--logging-level", "warning"]

    def create_calendar(self):
        answer = self.http().request("MKCALENDAR", self.calendar_url)
        assert answer.status_code == 201, answer.text


class Xandikos(CalDAVServer):
    """Xandikos without authentication: it refuses Basic auth over plain HTTP."""

    name = "xandikos"

    def __init__(self, root):
        super().__init__(root)
        self.calendar_url = f"{self.base}/user/calendars/calendar/"

    def command(self):
        return [str(BIN / "xandikos"), "serve", "-d", str(self.root / "data"), "--defaults",
                "-l", "127.0.0.1", "-p", str(self.port), "--state-dir", str(self.root / "state"),
                "--no-detect-systemd"]

    def create_calendar(self):
        assert self.http().request("PROPFIND", self.calendar_url, headers={"Depth": "0"}).status_code == 207


def _server(cls, tmp_path):
    server = cls(tmp_path / cls.name)
    server.start()
    server.create_calendar()
    return server


@pytest.fixture
def radicale(tmp_path):
    server = _server(Radicale, tmp_path)
    yield server
    server.stop()


@pytest.fixture
def xandikos(tmp_path):
    server = _server(Xandikos, tmp_path)
    yield server
    server.stop()


@pytest.fixture(params=["radicale", "xandikos"])
def caldav_server(request, tmp_path):
    server = _server(Radicale if request.param == "radicale" else Xandikos, tmp_path)
    yield server
    server.stop()
