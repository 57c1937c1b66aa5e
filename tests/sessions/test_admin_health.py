"""The admin health page: undelivered events and failed or bounced staff mail, each with what to do."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from docbox_sessions.models import db, outbox
from docbox_sessions.staff_mail import StaffMail
from support.staff_pages import post, sign_in


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EVENT_SUBSCRIBERS": ["http://127.0.0.1:9/api/v1/events"]}  # nothing answers there


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def test_the_health_page_shows_what_waits_and_what_to_do(app, admin, api, staff, clock):
    assert "Every change has reached calendar_sync and notifications" in text(admin.get("/admin/health"))
    assert api("organizer").post("/api/v1/programs", json={"name": "Doc Box", "timezone": "UTC"}).status_code == 201
    with app.app_context():
        outbox.deliver_due()  # the relay's attempt: nothing answers
    clock.advance(hours=3)
    invited = post(admin, "/admin/staff/invite", {"email": "new@example.org", "role": "viewer"}, page="/admin/staff/invite")
    admin.get(invited.headers["Location"])  # its "Invitation sent to ..." message is shown there
    with app.app_context():  # the mail server refused it for good (what the relay records after a 550)
        db.session.execute(sa.update(StaffMail).values(status="bounced", last_error="550 no such user"))
        db.session.commit()
    page = text(admin.get("/admin/health"))
    assert "Waiting 1 to deliver (the oldest for 3 hours)" in page
    assert "http://127.0.0.1:9/api/v1/events" in page and "check that the service named is running" in page
    assert "Bounced 1 refused by the recipient's server" in page and "Check the member's email address" in page
    assert "new@example.org" not in page  # counts, never a recipient
    assert 'href="http://127.0.0.1:5002/admin/targets"' in admin.get("/admin/health").text
    assert 'href="http://127.0.0.1:5004/"' in admin.get("/admin/health").text  # outreach's mail is shown there


def test_only_admins_see_the_health_page(app, staff):
    client = app.test_client()
    sign_in(client, "organizer@example.org")
    assert client.get("/admin/health").status_code == 403


def test_an_admin_sends_the_refused_events_again_from_the_health_page(app, admin, api):
    """After the consumer that refused them was upgraded, no shell is needed to send its events again."""
    assert api("organizer").post("/api/v1/programs", json={"name": "Doc Box", "timezone": "UTC"}).status_code == 201
    with app.app_context():  # what the relay records when the consumer answers 422
        db.session.execute(sa.update(outbox.Delivery).values(parked_at=datetime.now(timezone.utc), attempts=1,
                                                             last_error="422 unknown field"))
        db.session.commit()
    page = text(admin.get("/admin/health"))
    assert "Refused 1 refused as invalid" in page and "Send the 1 refused event again" in page
    assert "outbox republish" not in page  # a button, no command to type
    answer = post(admin, "/admin/health/retry-refused", page="/admin/health")
    assert answer.status_code == 303
    page = text(admin.get(answer.headers["Location"]))
    assert "1 refused event will be sent again" in page
    assert "Waiting 1 to deliver" in page and "Refused 0 refused as invalid" in page


def test_only_admins_send_refused_events_again(app, staff):
    client = app.test_client()
    sign_in(client, "organizer@example.org")
    assert post(client, "/admin/health/retry-refused", page="/upcoming").status_code == 403
