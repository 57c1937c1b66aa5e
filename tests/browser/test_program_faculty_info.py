"""An organizer gives a program its "what to expect" and contact address; the programs page shows organizers
and admins how many feeds and reminder subscriptions each program has, asked of calendar_sync and notifications
running on their own servers, and viewers none."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from docbox_notifications.models import Following, Subscriber
from docbox_notifications.models import db as notifications_db
from docbox_sessions.models import OutboxEvent, db
from docbox_shared import signing
from support.apps import EVENT_SECRET, running_app
from support.clock import clock_config
from support.ports import free_port


@pytest.fixture
def app(make_database_url, clock, counting):
    """The browser tests' sessions app, asking the two counting services."""
    with running_app("sessions", {"SQLALCHEMY_DATABASE_URI": make_database_url("sessions"),
                                  **clock_config("sessions", clock), "EVENT_SUBSCRIBERS": [],
                                  "EVENT_SECRETS": [EVENT_SECRET], "MIN_CELL": 5, "SECRET_KEY": "browser-test-key",
                                  "CALENDAR_SYNC_INTERNAL_URL": counting[2]["feeds"],
                                  "NOTIFICATIONS_INTERNAL_URL": counting[2]["reminders"]}) as app:
        yield app


def _subscribe(app, counting, program_id: str, feeds: int, reminders: int) -> None:
    calendar, notifications = counting[0], counting[1]
    with app.app_context():
        bodies = [e.body.encode() for e in db.session.scalars(db.select(OutboxEvent).order_by(OutboxEvent.id))]
    for consumer in (calendar, notifications):
        client = consumer.test_client()
        for raw in bodies:
            client.post("/api/v1/events", data=raw, headers={**signing.sign(raw, EVENT_SECRET),
                                                             "Content-Type": "application/json"})
    for _ in range(feeds):
        assert calendar.test_client().post("/api/v1/feeds", json={"programs": [program_id]}).status_code == 201
    with notifications.app_context():
        for i in range(reminders):
            sub = Subscriber(id=str(uuid.uuid4()), email=f"s{i}@example.org", email_hash=uuid.uuid4().hex,
                             status="active", offsets=[60])
            notifications_db.session.add_all([sub, Following(subscriber_id=sub.id, program_id=program_id)])
        notifications_db.session.commit()


def _fill_program(page, base_url, check, width):
    page.goto(f"{base_url}/programs/new")
    page.get_by_label("Name", exact=True).fill(f"Evening circle {width}")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("What to expect").fill("We sit in a circle for an hour.\n\nNobody takes notes.")
    page.get_by_label("Contact address").fill("peer support at example.org")
    page.get_by_role("button", name="Save program").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter an email address like name@example.org.")
    expect(page.get_by_label("What to expect")).to_have_value("We sit in a circle for an hour.\n\nNobody takes notes.")
    check(page, f"program-form-error-{width}")
    page.get_by_label("Contact address").fill("peer-support@example.org")
    page.get_by_role("button", name="Save program").click()
    expect(page.locator("main")).to_contain_text(f"Program Evening circle {width} created.")
    page.get_by_role("link", name=f"Evening circle {width}", exact=True).click()
    expect(page.get_by_label("Contact address")).to_have_value("peer-support@example.org")
    expect(page.get_by_label("What to expect")).to_have_value("We sit in a circle for an hour.\n\nNobody takes notes.")
    check(page, f"program-form-{width}")


def test_an_organizer_sets_what_to_expect_and_a_contact_on_desktop_and_phone(page, phone, base_url, sign_in, check):
    sign_in(page, "organizer")
    _fill_program(page, base_url, check, "desktop")
    sign_in(phone, "organizer")
    _fill_program(phone, base_url, check, "375")


def test_the_programs_page_shows_subscriber_numbers_to_organizers_and_none_to_viewers(
        page, phone, app, ops, counting, base_url, sign_in, check):
    with ops() as o:
        big = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True)).id
        small = o.create_program(dict(name="Residents' circle", timezone="America/New_York", open=True)).id
    _subscribe(app, counting, big, feeds=6, reminders=9)
    _subscribe(app, counting, small, feeds=2, reminders=0)

    sign_in(page, "organizer")
    page.goto(f"{base_url}/programs")
    row = page.get_by_role("row", name="Doc Box")
    expect(row.locator('[data-kind="feeds"]')).to_have_text("6")
    expect(row.locator('[data-kind="reminders"]')).to_have_text("9")
    expect(page.get_by_role("row", name="Residents' circle").locator('[data-kind="feeds"]')).to_have_text("2")
    check(page, "programs-counts-desktop")

    sign_in(phone, "viewer")
    phone.get_by_role("link", name="Programs").click()
    expect(phone.get_by_role("row", name="Residents' circle")).to_be_visible()
    expect(phone.locator("[data-kind]")).to_have_count(0)
    expect(phone.get_by_role("columnheader", name="Feeds")).to_have_count(0)
    expect(phone.get_by_role("link", name="New program")).to_have_count(0)
    check(phone, "programs-viewer-375")

    app.config["CALENDAR_SYNC_INTERNAL_URL"] = f"http://127.0.0.1:{free_port()}"  # calendar_sync is gone
    page.reload()
    expect(page.get_by_role("row", name="Doc Box").locator('[data-kind="feeds"]')).to_have_text("unavailable")
    expect(page.locator("main")).to_contain_text("The calendar service did not answer")
    check(page, "programs-counts-unavailable-desktop")
