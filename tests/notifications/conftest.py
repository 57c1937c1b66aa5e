"""Fixtures for the notifications service.

- ``clock``: the service's clock, fixed at ``T0`` (a week before the spring
  daylight-saving change in Europe/Berlin); tests move it.
- ``smtp``: a real aiosmtpd server on a free port that keeps every message;
  it can be stopped and restarted (server down), answer with an SMTP error,
  or be slow.
- ``app`` / ``client``: the service on a fresh database built by running the
  migrations, sending to ``smtp``.
- ``calendar``: publishes program, session and series states to the app's
  signed ``/api/v1/events`` endpoint exactly as the sessions relay does.
- ``worker()``: one pass of ``flask --app docbox_notifications worker --once``.
- ``subscribe()``: the whole double opt-in through the API, the mail and the
  confirmation page; returns the manage token.
"""

from __future__ import annotations

import asyncio
import email
import json
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from email import policy

import flask_migrate
import pytest
from aiosmtpd.controller import Controller
from docbox_shared import signing
from docbox_shared.events import dump_event

from docbox_notifications import MIGRATIONS, create_app
from docbox_notifications.models import db

UTC = timezone.utc
T0 = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
SECRET = "test-event-secret"
PUBLIC_URL = "https://docbox.test"
LINK = re.compile(r"https://docbox\.test/(confirm|manage|unsubscribe)/([A-Za-z0-9_-]+)")


class Clock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **kwargs) -> None:
        self.moment += timedelta(**kwargs)

    def set(self, moment: datetime) -> None:
        self.moment = moment


@pytest.fixture
def clock():
    return Clock(T0)


class Received:
    """One message as the SMTP server got it."""

    def __init__(self, envelope):
        self.mail_from = envelope.mail_from
        self.rcpt_tos = list(envelope.rcpt_tos)
        self.raw = envelope.original_content or envelope.content
        self.msg = email.message_from_bytes(self.raw, policy=policy.default)

    def __getitem__(self, header):
        return self.msg[header]

    @property
    def text(self) -> str:
        return self.msg.get_body(("plain",)).get_content()

    def calendar_parts(self):
        return [p for p in self.msg.walk() if p.get_content_type() == "text/calendar"]

    def links(self, kind: str) -> list[str]:
        return [token for k, token in LINK.findall(self.text) if k == kind]


class SmtpSink:
    """A real SMTP server for the tests, with knobs for failure modes."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.rcpt_reply: str | None = None    # e.g. "450 mailbox busy", "550 no such user"
        self.data_delay = 0.0
        self.controller: Controller | None = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(Received(envelope))
        if self.data_delay:
            # Slow to acknowledge: a client killed now has delivered a message it never heard about.
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if m.rcpt_tos == [address]]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@pytest.fixture
def smtp(port):
    sink = SmtpSink(port)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def app_config(make_database_url, clock, smtp):
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database_url("notifications"), "CLOCK": clock,
            "EVENT_SECRETS": [SECRET], "PUBLIC_URL": PUBLIC_URL, "SECRET_KEYS": ["test-key"],
            "CALENDAR_SYNC_URL": "https://calendar.docbox.test",
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "MAIL_FROM": "Doc Box <reminders@docbox.test>",
            "ADMIN_TOKEN": "test-admin-token", "LEASE_SECONDS": 300}


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        flask_migrate.upgrade(directory=MIGRATIONS)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def worker(app):
    """Run one worker pass through the real CLI command; returns its output."""
    runner = app.test_cli_runner()

    def run():
        result = runner.invoke(args=["worker", "--once"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result

    return run


class Calendar:
    """Publishes entry states as the sessions relay would: signed envelopes, growing versions."""

    def __init__(self, client, clock):
        self.client, self.clock = client, clock
        self.versions: dict[tuple[str, str], int] = {}
        self.states: dict[tuple[str, str], dict] = {}

    def publish(self, kind: str, state: dict, expect: int = 200):
        key = (kind, state["id"])
        self.versions[key] = self.versions.get(key, 0) + 1
        self.states[key] = state
        envelope = dump_event(event_id=uuid.uuid4(), occurred_at=self.clock(), kind=kind, entry_id=state["id"],
                              version=self.versions[key], state=state)
        body = json.dumps(envelope).encode()
        headers = {**signing.sign(body, SECRET), "Content-Type": "application/json",
                   "X-Request-Id": uuid.uuid4().hex}
        response = self.client.post("/api/v1/events", data=body, headers=headers)
        assert response.status_code == expect, response.get_data(as_text=True)
        return response

    def _base(self, entry_id):
        return {"id": entry_id, "created_at": T0 - timedelta(days=30), "updated_at": self.clock()}

    def program(self, program_id="prog-1", name="Balint group", tz="Europe/Berlin", email_subject=None):
        state = {**self._base(program_id), "slug": program_id, "name": name, "timezone": tz, "open": True,
                 "email_subject": email_subject}
        self.publish("program", state)
        return state

    def session(self, session_id, start, minutes=60, program_id="prog-1", status="scheduled",
                tz="Europe/Berlin", title="Peer support session", location="Room 4", video_url=None):
        state = {**self._base(session_id), "program_id": program_id, "title": title, "format": "in_person",
                 "location": location, "video_url": video_url, "timezone": tz, "start": start,
                 "end": start + timedelta(minutes=minutes), "status": status}
        self.publish("session", state)
        return state

    def series(self, series_id, start_local, rrule="FREQ=WEEKLY;COUNT=6", minutes=90, program_id="prog-1",
               tz="Europe/Berlin", title="Weekly circle", exceptions=(), location=None,
               video_url="https://video.example/room"):
        state = {**self._base(series_id), "program_id": program_id, "title": title, "format": "virtual",
                 "location": location, "video_url": video_url, "timezone": tz, "start_local": start_local,
                 "duration_minutes": minutes, "rrule": rrule, "exceptions": list(exceptions)}
        self.publish("series", state)
        return state

    def update(self, kind, state, **changes):
        state = {**state, **changes, "updated_at": self.clock()}
        self.publish(kind, state)
        return state


@pytest.fixture
def calendar(client, clock):
    return Calendar(client, clock)


@pytest.fixture
def subscribe(client, smtp, worker):
    """Full double opt-in for ``address``; returns a manage token from the confirmation."""

    def run(address="ada@example.org", programs=("prog-1",), **extra):
        response = client.post("/api/v1/subscribers", json={"email": address, "programs": list(programs), **extra})
        assert response.status_code == 202, response.get_data(as_text=True)
        worker()
        confirmation = smtp.to(address.lower())[-1]
        token = confirmation.links("confirm")[0]
        page = client.post(f"/confirm/{token}")
        assert page.status_code == 303
        return page.headers["Location"].rsplit("/manage/", 1)[1].split("?")[0]

    return run


def wait_for(predicate, timeout=30.0, interval=0.05):
    """Poll ``predicate`` until true (used only for subprocesses); fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    raise AssertionError("condition not reached in time")
