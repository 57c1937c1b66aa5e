"""A faculty member opts in to email reminders in a real browser and receives the confirmation email.

The notifications app is served by a real server (werkzeug, in a thread) on a
fresh database built by its migrations; it sends to a real aiosmtpd server
(the ``smtp`` fixture); the worker runs in-process through its CLI command
(``worker --once``). The program reaches the app's replica as signed events
POSTed over HTTP, exactly as the sessions relay sends them. Every page is
checked with axe-core and photographed at 375 px and at desktop width.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from docbox_notifications.models import Subscriber, db
from support.apps import running_app
from support.clock import Clock, clock_config
from support.publishers import Publisher, over_http

UTC = timezone.utc
T0 = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)     # a Saturday; the session is on Tuesday 23 March
SECRET = "browser-event-secret"
WIDTHS = {"375": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def notifications(make_database_url, smtp, serve):
    """The app on a real server: ``(app, base URL, clock)``; links in mail point at that server."""
    clock = Clock(T0)
    with running_app("notifications", {
            "SQLALCHEMY_DATABASE_URI": make_database_url("notifications"), **clock_config("notifications", clock),
            "EVENT_SECRETS": [SECRET], "SECRET_KEYS": ["browser-key"], "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port, "MAIL_FROM": "Doc Box <reminders@docbox.test>",
            "CALENDAR_SYNC_URL": "http://127.0.0.1:9"}) as app:
        base = serve(app)
        app.config["PUBLIC_URL"] = base
        yield app, base, clock


def balint_group(base: str, clock: Clock) -> None:
    """Two programs and a session, POSTed as signed envelopes to the events endpoint, as the sessions relay does."""
    publish = Publisher(over_http(base), SECRET, clock).deliver
    made = {"created_at": T0 - timedelta(days=30), "updated_at": T0}
    publish("program", {"id": "prog-1", **made, "slug": "balint", "name": "Balint group",
                        "timezone": "Europe/Berlin", "open": True, "email_subject": None})
    publish("program", {"id": "prog-2", **made, "slug": "resilience", "name": "Resilience circle",
                        "timezone": "Europe/Berlin", "open": True, "email_subject": None})
    start = datetime(2027, 3, 23, 18, 0, tzinfo=UTC)
    publish("session", {"id": "s1", **made, "program_id": "prog-1", "title": "Balint group",
                        "format": "in_person", "location": "Room 4", "video_url": None,
                        "timezone": "Europe/Berlin", "start": start, "end": start + timedelta(hours=1),
                        "status": "scheduled"})


def run_worker(app) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output + repr(result.exception)


def text_of(msg) -> str:
    return msg.text


@pytest.fixture
def both(check):
    """``both(page, name)``: axe and a screenshot of the page as it is, at 375 px and at desktop width."""
    def run(page, name: str) -> None:
        for label, size in WIDTHS.items():
            page.set_viewport_size(size)
            check(page, f"notifications-{name}-{label}")
        page.set_viewport_size(WIDTHS["desktop"])
    return run


def test_faculty_member_opts_in_confirms_changes_times_and_unsubscribes(page, notifications, smtp, both):
    app, base, clock = notifications
    balint_group(base, clock)

    # From calendar_sync's program page: the program comes pre-selected, 24 h and 1 h ticked.
    page.goto(f"{base}/subscribe?programs=prog-1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Email reminders")
    expect(page.get_by_label("Balint group")).to_be_checked()
    expect(page.get_by_label("Resilience circle")).not_to_be_checked()
    expect(page.get_by_label("24 hours before")).to_be_checked()
    expect(page.get_by_label("1 hour before")).to_be_checked()
    expect(page.get_by_label("Time zone of the weekly email")).to_have_value("")
    both(page, "subscribe")

    # A typo first: the message sits next to the field, and what was typed is still there.
    page.get_by_label("Email address").fill("ada.lovelace@example")
    page.get_by_label("Resilience circle").check()
    page.get_by_role("button", name="Send me a confirmation link").click()
    expect(page.locator("#email-error")).to_contain_text("Enter an email address in the form name@example.org")
    expect(page.get_by_label("Email address")).to_have_value("ada.lovelace@example")
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Resilience circle")).to_be_checked()
    expect(page.get_by_label("Balint group")).to_be_checked()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    both(page, "subscribe-errors")
    assert smtp.messages == []

    page.get_by_label("Resilience circle").uncheck()
    page.get_by_label("Email address").fill("ada.lovelace@example.org")
    page.get_by_role("button", name="Send me a confirmation link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert page.url == f"{base}/subscribe/sent"
    both(page, "subscribe-sent")

    # The worker mails the confirmation to a real SMTP server.
    run_worker(app)
    [confirmation] = smtp.to("ada.lovelace@example.org")
    assert confirmation["Subject"] == "Please confirm your Doc Box reminders"
    assert "Balint group" in text_of(confirmation)
    confirm_url = re.search(rf"{re.escape(base)}/confirm/[A-Za-z0-9_-]+", text_of(confirmation)).group(0)

    page.goto(confirm_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email reminders")
    expect(page.locator("main")).to_contain_text("24 hours and 1 hour before each session")
    both(page, "confirm")
    page.get_by_role("button", name="Confirm reminders").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your email reminders")
    assert "/manage/" in page.url
    expect(page.get_by_role("status")).to_contain_text("Confirmed")
    expect(page.get_by_label("24 hours before")).to_be_checked()
    both(page, "manage-confirmed")

    # Reminder times, with the keyboard only: 3 hours instead of 1 hour.
    page.get_by_label("1 hour before").focus()
    page.keyboard.press("Space")
    page.get_by_label("3 hours before").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save choices").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.get_by_label("3 hours before")).to_be_checked()
    expect(page.get_by_label("1 hour before")).not_to_be_checked()
    both(page, "manage-saved")
    with app.app_context():
        assert db.session.scalar(select(Subscriber.offsets)) == [1440, 180]

    # Delete everything asks first; "No" goes back with nothing changed.
    page.get_by_role("button", name="Delete everything…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete everything?")
    both(page, "manage-delete-question")
    page.get_by_role("link", name="No, keep my reminders").click()
    expect(page.get_by_label("3 hours before")).to_be_checked()

    # The 24 h reminder arrives with a one-click unsubscribe link; the page asks before acting.
    clock.moment = datetime(2027, 3, 22, 18, 0, tzinfo=UTC)
    run_worker(app)
    reminder = smtp.to("ada.lovelace@example.org")[-1]
    assert reminder["Subject"] == "Balint group — Tuesday 23 March 2027"
    unsubscribe_url = reminder["List-Unsubscribe"].strip("<>")
    page.goto(unsubscribe_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    both(page, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    both(page, "unsubscribed")
    with app.app_context():
        assert db.session.scalar(select(Subscriber)) is None

    # The old links now say so, politely.
    page.goto(unsubscribe_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid any more")
    both(page, "link-not-valid")


def test_delete_everything_on_a_phone_after_confirming(phone, notifications, smtp, check):
    app, base, clock = notifications
    balint_group(base, clock)
    phone.goto(f"{base}/subscribe")
    phone.get_by_label("Email address").fill("grace@example.org")
    phone.get_by_label("Balint group").check()
    phone.get_by_label("One email each Monday listing the week's sessions, instead of reminders").check()
    phone.get_by_label("Time zone of the weekly email").select_option("America/New_York")
    phone.get_by_role("button", name="Send me a confirmation link").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    run_worker(app)
    [confirmation] = smtp.to("grace@example.org")
    phone.goto(re.search(rf"{re.escape(base)}/confirm/\S+", text_of(confirmation)).group(0))
    expect(phone.locator("main")).to_contain_text("One email each Monday")
    phone.get_by_role("button", name="Confirm reminders").click()
    expect(phone.get_by_label("Time zone of the weekly email")).to_have_value("America/New_York")

    phone.get_by_role("button", name="Pause all email").click()
    expect(phone.get_by_role("status")).to_contain_text("Paused")
    check(phone, "notifications-manage-paused-375")
    phone.get_by_role("button", name="Resume reminders").click()
    expect(phone.get_by_role("status")).to_contain_text("Resumed")

    phone.get_by_role("button", name="Delete everything…").click()
    phone.get_by_role("button", name="Yes, delete everything").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    with app.app_context():
        assert db.session.scalar(select(Subscriber)) is None
