"""Fixtures for the sessions service.

- ``clock``: the service's clock, fixed at 2027-01-15 12:00 UTC; tests move it.
- ``app``: the sessions app on a fresh database built by running the migrations.
- ``tokens``: one staff member per role, added with the real CLI; role -> token.
- ``api``: ``api(role).get(...)`` etc., a test client sending that role's token.
- ``staff``: every role of ``tokens`` with a password (``support.staff_pages.PASSWORD``); role -> staff id.
- ``admin``: a test client signed in on the staff pages as the admin.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from support.apps import running_app
from support.clock import Clock, clock_config
from support.staff_pages import PASSWORD, sign_in

T0 = datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def app_config(make_database_url, clock):
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database_url("sessions"), **clock_config("sessions", clock),
            "EVENT_SUBSCRIBERS": [], "EVENT_SECRETS": ["test-secret"], "MIN_CELL": 5,
            # The programs page asks nobody for subscriber counts unless a test starts the services.
            "CALENDAR_SYNC_INTERNAL_URL": "", "NOTIFICATIONS_INTERNAL_URL": ""}


@pytest.fixture
def app(app_config):
    with running_app("sessions", app_config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(app):
    runner = app.test_cli_runner()
    result = {}
    for role in ("admin", "organizer", "facilitator", "viewer"):
        out = runner.invoke(args=["staff", "add", f"{role}@example.org", "--role", role])
        assert out.exit_code == 0, out.output
        result[role] = out.output.strip().splitlines()[-1]
    return result


@pytest.fixture
def staff(app, tokens):
    from docbox_sessions.models import Staff, db

    runner = app.test_cli_runner()
    for role in tokens:
        out = runner.invoke(args=["staff", "set-password", f"{role}@example.org", "--password-stdin"],
                            input=PASSWORD + "\n")
        assert out.exit_code == 0, out.output
    with app.app_context():
        return {m.role: m.id for m in db.session.scalars(sa.select(Staff))}


@pytest.fixture
def admin(app, staff):
    client = app.test_client()
    assert sign_in(client, "admin@example.org").status_code == 302
    return client


class RoleClient:
    def __init__(self, client, token):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"} if token else {}

    def __getattr__(self, method):
        def call(url, **kwargs):
            return getattr(self.client, method)(url, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)
        return call


@pytest.fixture
def api(client, tokens):
    return lambda role: RoleClient(client, tokens.get(role))


@pytest.fixture
def program(api):
    response = api("organizer").post("/api/v1/programs", json={
        "name": "Doc Box", "timezone": "America/New_York", "open": True, "default_format": "in_person",
        "default_location": "ED conference room 2", "default_video_url": "https://meet.example.org/docbox"})
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def staff_id(api):
    """``staff_id(role)``: the id of the staff member added for that role."""
    return lambda role: next(s["id"] for s in api("admin").get("/api/v1/staff").json if s["role"] == role)
