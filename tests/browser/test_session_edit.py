"""An organizer edits a one-off session on the web: title, description, places and facilitators."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect


def test_an_organizer_edits_a_one_off_session_and_a_bad_value_changes_nothing(page, app, ops, staff, base_url,
                                                                            sign_in, check):
    with ops() as o:
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        session = o.create_session(dict(program_id=program.id, title="Circle", format="in_person", location="Room 2",
                                        start=datetime.fromisoformat("2027-02-01T17:30:00-05:00"),
                                        end=datetime.fromisoformat("2027-02-01T19:00:00-05:00"), capacity=12))
        session_id = session.id
    sign_in(page, "organizer")
    page.goto(f"{base_url}/occurrences/{session_id}")
    page.get_by_role("link", name="Edit it").click()
    expect(page.get_by_label("Title")).to_have_value("Circle")
    expect(page.get_by_label("Places")).to_have_value("12")
    check(page, "session-edit")

    page.get_by_label("Title").fill("Circle after a lawsuit")
    page.get_by_label("Places").fill("none")
    page.get_by_role("button", name="Save the session").click()
    expect(page.locator("#capacity-error")).to_be_visible()
    with app.app_context():
        from docbox_sessions.models import OneOffSession, db
        assert db.session.get(OneOffSession, session_id).title == "Circle", "a bad value saves nothing"

    page.get_by_label("Places").fill("")
    page.get_by_label("Description").fill("For anyone facing a claim.")
    page.get_by_label("Dr Facilitator").check()
    page.get_by_role("button", name="Save the session").click()
    expect(page.locator(".flash--success")).to_contain_text("Session saved: Circle after a lawsuit")
    with app.app_context():
        from docbox_sessions.models import OneOffSession, db
        saved = db.session.get(OneOffSession, session_id)
        assert (saved.title, saved.description, saved.capacity, [f.email for f in saved.facilitators], saved.version) == (
            "Circle after a lawsuit", "For anyone facing a claim.", None, [staff["facilitator"]], 2)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{base_url}/sessions/{session_id}/edit")
    check(page, "session-edit-375")


def test_an_organizer_restores_a_cancelled_occurrence(page, app, ops, staff, base_url, sign_in, check):
    with ops() as o:
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        series = o.create_series(dict(program_id=program.id, title="Monthly circle", format="in_person",
                                      location="Room 2", start=datetime(2027, 2, 10, 19, 0), duration_minutes=90,
                                      rrule="FREQ=MONTHLY;BYMONTHDAY=10;COUNT=3"))
        occurrence_id = f"{series.id}_20270310"
        o.cancel_occurrence(occurrence_id)
    sign_in(page, "organizer")
    page.goto(f"{base_url}/occurrences/{occurrence_id}")
    page.get_by_role("link", name="Restore it").click()
    expect(page.locator("main")).to_contain_text("takes place after all")
    check(page, "occurrence-restore")
    page.get_by_role("button", name="Yes, restore it").click()
    expect(page.locator(".flash--success")).to_contain_text("Restored: Monthly circle takes place on")
    expect(page.locator("main")).to_contain_text("Scheduled")
    expect(page.get_by_role("link", name="Cancel it")).to_be_visible()
