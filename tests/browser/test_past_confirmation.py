"""Planning or moving a session into the past asks first: a mistyped year is the usual cause."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect


def test_a_session_in_the_past_is_saved_only_after_the_organizer_confirms(page, app, ops, staff, base_url, sign_in, check):
    with ops() as o:
        o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True, default_location="Room 2"))
    sign_in(page, "organizer")
    page.goto(f"{base_url}/sessions/new")
    page.get_by_label("Program").select_option(label="Doc Box")
    page.get_by_label("Title").fill("Debrief after a hard shift")
    page.get_by_label("In person").check()
    page.get_by_label("Date").fill("2026-01-14")  # the clock reads 15 January 2027: a year too early
    page.get_by_label("Starts at").fill("19:00")
    page.get_by_label("Ends at").fill("20:00")
    page.get_by_role("button", name="Plan the session").click()
    expect(page.locator("#confirm_past-error")).to_contain_text("This starts in the past (Wed 14 Jan 2026, 19:00)")
    expect(page.get_by_label("Title")).to_have_value("Debrief after a hard shift")
    check(page, "session-new-past")
    with app.app_context():
        from docbox_sessions.models import OneOffSession, db
        assert db.session.query(OneOffSession).count() == 0, "nothing is saved before the answer"

    page.get_by_label("Date").fill("2027-01-14")  # yesterday, and meant
    page.get_by_role("button", name="Plan the session").click()
    expect(page.locator("#confirm_past-error")).to_contain_text("Thu 14 Jan 2027")
    page.get_by_label("Yes, it is in the past: save it").check()
    page.get_by_role("button", name="Plan the session").click()
    expect(page.locator(".flash--success")).to_contain_text("Session planned: Debrief after a hard shift")

    # Moving it further into the past asks again; a future date does not.
    page.get_by_role("link", name="Move it").click()
    page.get_by_label("New date").fill("2027-01-07")
    page.get_by_role("button", name="Move it").click()
    expect(page.locator("#confirm_past-error")).to_contain_text("Thu 7 Jan 2027")
    page.get_by_label("New date").fill("2027-01-21")
    page.get_by_role("button", name="Move it").click()
    expect(page.locator(".flash--success")).to_contain_text("Moved: Debrief after a hard shift")
