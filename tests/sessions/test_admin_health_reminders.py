"""The admin health page asks notifications how reminder mail fares: numbers only, signed, "unavailable" when down."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import requests

from docbox_notifications.models import Delivery, Subscriber
from docbox_notifications.models import db as notifications_db
from docbox_shared import counts, signing
from docbox_shared.clock import now as clock_now
from support.apps import dispose, migrated_app
from support.ports import free_port
from support.staff_pages import sign_in

from .test_admin_health import text

SECRET = "test-secret"


@pytest.fixture
def notifications(make_database_url, serve):
    """notifications on a real server: ``(app, its URL)``."""
    app = migrated_app("notifications", {
        "EVENT_SECRETS": [SECRET], "SQLALCHEMY_DATABASE_URI": make_database_url("notifications"),
        "PUBLIC_URL": "https://docbox.test", "SECRET_KEYS": ["test-key"], "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": free_port(), "ADMIN_TOKEN": "t"})
    yield app, serve(app)
    dispose(app)


@pytest.fixture
def app_config(app_config, notifications):
    return {**app_config, "NOTIFICATIONS_INTERNAL_URL": notifications[1]}


def _deliveries(app, rows: list[dict]) -> None:
    """Reminder messages in the states ``rows`` give (``due``/``first_failure`` as ages), to one subscriber."""
    with app.app_context():
        now = clock_now()
        sub = Subscriber(id=str(uuid.uuid4()), email="faculty@example.org", email_hash=uuid.uuid4().hex,
                         status="active", offsets=[60])
        notifications_db.session.add(sub)
        notifications_db.session.flush()
        for i, row in enumerate(rows):
            failure = row.get("first_failure")
            notifications_db.session.add(Delivery(
                key=f"k{i}", message_id=f"<m{i}@docbox.test>", subscriber_id=sub.id, kind="reminder",
                status=row["status"], attempts=1, due_at=now - row["due"], created_at=now - row["due"],
                first_failure_at=None if failure is None else now - failure, last_error=row.get("error")))
        notifications_db.session.commit()


def test_admins_see_failed_bounced_and_retrying_reminder_mail_with_what_to_do(app, admin, notifications):
    page = text(admin.get("/admin/health"))
    assert "Due 0 due now and not yet sent" in page and "Failed 0 given up" in page
    assert "Check the notifications service's" not in page, "nothing to do while nothing went wrong"
    _deliveries(notifications[0], [
        {"status": "failed", "due": timedelta(days=1), "first_failure": timedelta(days=2), "error": "421 try later"},
        {"status": "bounced", "due": timedelta(hours=2), "error": "550 no such user"},
        {"status": "bounced", "due": timedelta(hours=5), "error": "550 no such user"},
        {"status": "bounced", "due": timedelta(days=10), "error": "550 no such user"},   # older than the window
        {"status": "pending", "due": -timedelta(minutes=8), "first_failure": timedelta(hours=3)},  # retried later
        {"status": "pending", "due": timedelta(minutes=30)},                              # due, the worker is late
        {"status": "sent", "due": timedelta(hours=1)},
    ])
    answer = admin.get("/admin/health")
    assert answer.status_code == 200
    page = text(answer)
    assert "Due 1 due now and not yet sent (the oldest for 30 minutes)" in page
    assert "Retrying 1 waiting for a retry after a temporary error (the oldest for 3 hours)" in page
    assert "Failed 1 given up after a day of retries in the last 7 days" in page
    assert "Bounced 2 refused by the recipient's server in the last 7 days" in page
    assert "check that the notifications worker runs" in page
    assert "Check the notifications service's DOCBOX_SMTP_* settings" in page
    assert "after 3 bounces in a row a subscriber's address stops getting mail" in page
    assert "faculty@example.org" not in answer.text, "numbers, never a recipient"


def test_the_mail_counts_answer_only_a_signed_request_and_carry_nobody(app, notifications):
    _deliveries(notifications[0], [{"status": "bounced", "due": timedelta(hours=1), "error": "550 no such user"}])
    url = notifications[1] + counts.MAIL_PATH
    assert requests.get(url, timeout=5).status_code == 401
    other_question = signing.sign(b"GET " + counts.PATH.encode(), SECRET)
    assert requests.get(url, headers=other_question, timeout=5).status_code == 401
    answer = requests.get(url, headers=signing.sign(b"GET " + counts.MAIL_PATH.encode(), SECRET), timeout=5)
    assert answer.json() == {"counts": {"days": 7, "max_bounces": 3, "failed": 0, "bounced": 1, "retrying": 0,
                                        "due": 0}}
    assert answer.headers["Cache-Control"] == "no-store"


def test_notifications_down_leaves_reminder_mail_unavailable_and_the_page_renders(app, admin):
    app.config["NOTIFICATIONS_INTERNAL_URL"] = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    answer = admin.get("/admin/health")
    assert answer.status_code == 200
    page = text(answer)
    assert "Reminder mail: unavailable" in page
    assert "Bounced 0 refused by the recipient's server" in page, "staff mail is still shown"


def test_non_admins_do_not_see_reminder_mail_numbers(app, staff):
    for role in ("organizer", "viewer"):
        client = app.test_client()
        sign_in(client, f"{role}@example.org")
        answer = client.get("/admin/health")
        assert answer.status_code == 403 and "Reminder mail" not in answer.text
