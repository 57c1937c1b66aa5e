"""The network to PostgreSQL drops in the middle of a write (a proxy between the app and the server cuts the
connection as a statement or the COMMIT goes out; tests/support/cut.py): the organizer gets a clear 503 that
says nothing was changed (problem+json from the API, a page from the staff pages, never a 500), nothing of the
change is stored (not the series without its event, not the event without its series), and the very next
request, the same one sent again, works without a restart.

PostgreSQL only: SQLite has no connection to cut.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa

from support.apps import running_app
from support.cut import database_cutter
from support.staff_pages import csrf, sign_in

pytestmark = pytest.mark.skipif(
    not os.environ.get("DOCBOX_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DOCBOX_TEST_DATABASE_URL): SQLite has no server connection to cut")

SERIES = {"title": "Doc Box weekly", "format": "in_person", "start": "2027-03-03T19:00:00-05:00",
          "duration_minutes": 90, "rrule": "FREQ=WEEKLY;COUNT=4"}


@pytest.fixture
def proxy(app_config):
    with database_cutter(app_config["SQLALCHEMY_DATABASE_URI"]) as cutter:
        yield cutter


@pytest.fixture
def app(app_config, proxy):
    with running_app("sessions", {**app_config, "SQLALCHEMY_DATABASE_URI": proxy.url}) as app:
        yield app


def stored(app, table: str) -> int:
    from docbox_sessions.models import db
    with app.app_context():
        return db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - a name of this test's


@pytest.mark.parametrize("cut_at", [b"INSERT INTO series", b"INSERT INTO outbox_events", b"COMMIT"])
def test_a_series_cut_off_mid_write_is_a_503_stores_nothing_and_the_retry_works(app, api, program, proxy, cut_at):
    events = stored(app, "outbox_events")
    proxy.cut_when(cut_at)
    answer = api("organizer").post("/api/v1/series", json={"program_id": program["id"], **SERIES})
    assert proxy.cuts == 1
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json", answer.text
    assert "nothing was changed" in answer.json["detail"] and answer.headers["Retry-After"]
    assert stored(app, "series") == 0 and stored(app, "outbox_events") == events
    assert api("organizer").get("/api/v1/series").json == []

    again = api("organizer").post("/api/v1/series", json={"program_id": program["id"], **SERIES})
    assert again.status_code == 201, again.text
    assert stored(app, "series") == 1 and stored(app, "outbox_events") == events + 1


def test_a_staff_page_cut_off_mid_write_says_try_again_and_the_same_form_works_next(app, client, staff, proxy):
    assert sign_in(client, "organizer@example.org").status_code == 302
    form = {"name": "Zoë's circle", "timezone": "America/New_York", "csrf_token": csrf(client, "/programs/new")}
    proxy.cut_when(b"COMMIT")
    answer = client.post("/programs/new", data=form)
    assert proxy.cuts == 1
    assert answer.status_code == 503 and answer.mimetype == "text/html", answer.text
    assert "Nothing was changed" in answer.text and "Try again" in answer.text and answer.headers["Retry-After"]
    assert stored(app, "programs") == 0

    again = client.post("/programs/new", data=form)
    assert again.status_code == 302, again.text
    assert re.search("Zoë&#39;s circle|Zoë's circle", client.get("/programs").text)
    assert stored(app, "programs") == 1
