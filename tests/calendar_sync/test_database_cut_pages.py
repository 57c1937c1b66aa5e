"""A faculty member subscribes while the network to PostgreSQL drops in the middle of the write (a proxy cuts
the connection as the feed's row goes out; tests/support/cut.py): the page says Doc Box cannot reach its
database and nothing was changed (503, an HTML page like every other one there, not a JSON body), no feed
is stored, and sending the same form again gives the feed, without a restart.

PostgreSQL only: SQLite has no connection to cut.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from support.apps import running_app
from support.clock import clock_config
from support.cut import database_cutter

from .conftest import EVENT_SECRET
from .test_pages import feed_count, subscribe, text_of

pytestmark = pytest.mark.skipif(
    not os.environ.get("DOCBOX_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DOCBOX_TEST_DATABASE_URL): SQLite has no server connection to cut")

UTC = timezone.utc


@pytest.fixture
def proxy(make_database_url):
    with database_cutter(make_database_url("calendar_sync")) as cutter:
        yield cutter


@pytest.fixture
def app(proxy, clock, staff_server):
    with running_app("calendar_sync", {"SQLALCHEMY_DATABASE_URI": proxy.url, "EVENT_SECRETS": [EVENT_SECRET],
                                       **clock_config("calendar_sync", clock), "PUBLIC_URL": "https://calendar.example.org",
                                       "SESSIONS_URL": staff_server.url}) as app:
        yield app


def test_subscribing_cut_off_mid_write_says_try_again_on_a_page_and_the_same_form_works_next(client, sessions, app,
                                                                                             proxy):
    program = sessions.program(name="Open circle")
    sessions.session(program, "Grand rounds debrief", datetime(2026, 3, 5, 17, tzinfo=UTC),
                     datetime(2026, 3, 5, 18, tzinfo=UTC))
    proxy.cut_when(b"INSERT INTO feeds")
    answer = subscribe(client, programs=program["id"])
    assert proxy.cuts == 1
    assert answer.status_code == 503 and answer.mimetype == "text/html", answer.get_data(as_text=True)[:300]
    assert "Nothing was changed" in text_of(answer) and answer.headers["Retry-After"]
    assert feed_count(app) == 0
    again = subscribe(client, programs=program["id"])
    assert again.status_code == 200 and feed_count(app) == 1
