"""A faculty member sends a form while the network to PostgreSQL drops in the middle of the write (a proxy cuts
the connection as a row goes out; tests/support/cut.py): the page says Doc Box cannot reach its database and
nothing was changed (503 with Retry-After, an HTML page like every other Doc Box page, not a JSON body),
nothing of the change is stored, and sending the same form again works, without a restart.

PostgreSQL only: SQLite has no connection to cut.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from docbox_notifications.models import Delivery, Subscriber, db
from support.apps import running_app
from support.cut import database_cutter

from .test_pages import GOOD, csrf_token

pytestmark = pytest.mark.skipif(
    not os.environ.get("DOCBOX_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (DOCBOX_TEST_DATABASE_URL): SQLite has no server connection to cut")


@pytest.fixture
def proxy(make_database_url):
    with database_cutter(make_database_url("notifications")) as cutter:
        yield cutter


@pytest.fixture
def app(app_config, proxy):
    with running_app("notifications", {**app_config, "SQLALCHEMY_DATABASE_URI": proxy.url}) as app:
        yield app


@pytest.fixture
def programs(calendar):
    calendar.program()
    calendar.program("prog-2", name="Resilience", tz="America/New_York")


def said_try_again(answer) -> bool:
    html = answer.get_data(as_text=True)
    return (answer.status_code == 503 and answer.mimetype == "text/html" and "Nothing was changed" in html
            and "cannot reach its database" in html and bool(answer.headers.get("Retry-After")))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_subscribe_form_cut_off_mid_write_says_try_again_on_a_page_and_the_same_form_works_next(app, client,
                                                                                                 programs, proxy):
    proxy.cut_when(b"INSERT INTO deliveries")       # the subscriber row went out already, in the same transaction
    answer = client.post("/subscribe", data={**GOOD, "csrf_token": csrf_token(client)})
    assert proxy.cuts == 1
    assert said_try_again(answer), answer.get_data(as_text=True)[:300]
    assert count(app, Subscriber) == count(app, Delivery) == 0
    again = client.post("/subscribe", data={**GOOD, "csrf_token": csrf_token(client)})
    assert again.status_code == 303 and again.headers["Location"].endswith("/subscribe/sent")
    assert count(app, Subscriber) == count(app, Delivery) == 1


def test_manage_page_save_cut_off_mid_write_keeps_the_old_choices_and_the_same_form_works_next(app, client,
                                                                                               programs, subscribe,
                                                                                               proxy):
    token = subscribe()
    form = {"action": "save", "programs": ["prog-2"], "offsets": ["60"], "digest": "off", "timezone": ""}
    proxy.cut_when(b"UPDATE subscribers")
    answer = client.post(f"/manage/{token}", data=form)
    assert proxy.cuts == 1
    assert said_try_again(answer), answer.get_data(as_text=True)[:300]
    assert answer.headers["Cache-Control"] == "no-store"     # the page's URL holds the token
    with app.app_context():
        sub = db.session.scalar(select(Subscriber))
        assert sub.program_ids == ["prog-1"] and sub.offsets == [1440, 60]
    again = client.post(f"/manage/{token}", data=form)
    assert again.status_code == 303
    with app.app_context():
        sub = db.session.scalar(select(Subscriber))
        assert sub.program_ids == ["prog-2"] and sub.offsets == [60]
