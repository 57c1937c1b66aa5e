"""Fixtures for the notifications service.

- ``clock``: the service's clock, fixed at ``T0`` (a week before the spring
  daylight-saving change in Europe/Berlin); tests move it.
- ``smtp`` (tests/conftest.py): a real aiosmtpd server on a free port that
  keeps every message; it can be stopped and restarted (server down), answer
  with an SMTP error, or be slow.
- ``app`` / ``client``: the service on a fresh database built by running the
  migrations, sending to ``smtp``.
- ``calendar``: publishes program, session and series states to the app's
  signed ``/api/v1/events`` endpoint exactly as the sessions relay does.
- ``worker()``: one pass of ``flask --app docbox_notifications worker --once``.
- ``subscribe()``: the whole double opt-in through the API, the mail and the
  confirmation page; returns the manage token.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from support.apps import running_app
from support.clock import Clock, clock_config
from support.publishers import Publisher

UTC = timezone.utc
T0 = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
SECRET = "test-event-secret"
PUBLIC_URL = "https://docbox.test"


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def app_config(make_database_url, clock, smtp):
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database_url("notifications"), **clock_config("notifications", clock),
            "EVENT_SECRETS": [SECRET], "PUBLIC_URL": PUBLIC_URL, "SECRET_KEYS": ["test-key"],
            "CALENDAR_SYNC_URL": "https://calendar.docbox.test",
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "MAIL_FROM": "Doc Box <reminders@docbox.test>",
            "ADMIN_TOKEN": "test-admin-token", "LEASE_SECONDS": 300}


@pytest.fixture
def app(app_config):
    with running_app("notifications", app_config) as app:
        yield app


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


class Calendar(Publisher):
    """Publishes entry states as the sessions relay would: signed envelopes, growing versions."""

    def __init__(self, client, clock):
        super().__init__(client.post, SECRET, clock)
        self.client = client

    def publish(self, kind: str, state: dict, expect: int = 200):
        return self.deliver(kind, state, expect=expect)

    def _base(self, entry_id):
        return {"id": entry_id, "created_at": T0 - timedelta(days=30), "updated_at": self.clock()}

    def program(self, program_id="prog-1", name="Balint group", tz="Europe/Berlin", email_subject=None, **extra):
        state = {**self._base(program_id), "slug": program_id, "name": name, "timezone": tz, "open": True,
                 "email_subject": email_subject, **extra}
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
