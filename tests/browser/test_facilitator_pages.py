"""A facilitator records the counts on a phone after a session, and sees them confirmed."""

from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import expect
from sqlalchemy import select


def _hybrid_friday_series(app, ops, email):
    """Fridays 06:00-07:00 New York from 1 Jan 2027; at the fixed clock (07:00) today's has started."""
    from docbox_sessions.models import Staff, db
    with ops() as o:
        facilitator = db.session.scalar(select(Staff).where(Staff.email == email))
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        series = o.create_series(dict(
            program_id=program.id, title="Early circle", format="hybrid", location="ED conference room 2",
            video_url="https://meet.example.org/early", start=datetime(2027, 1, 1, 6, 0), duration_minutes=60,
            rrule="FREQ=WEEKLY;BYDAY=FR;COUNT=4", facilitator_ids=[facilitator.id]))
        other = o.create_series(dict(
            program_id=program.id, title="Someone else's circle", format="virtual",
            video_url="https://meet.example.org/other", start=datetime(2027, 1, 14, 18, 0), duration_minutes=60,
            rrule="FREQ=WEEKLY;COUNT=4"))
        return series.id, other.id


def test_facilitator_records_counts_on_a_phone_and_sees_a_confirmation(phone, app, ops, staff, base_url, sign_in, check):
    series_id, _other = _hybrid_friday_series(app, ops, staff["facilitator"])
    sign_in(phone, "facilitator", check=check)
    assert phone.url.endswith("/my")
    today = phone.locator("h2:has-text('Today') + ul > li")
    expect(today).to_have_count(1)
    expect(today).to_contain_text("Early circle")
    expect(today).to_contain_text("Hybrid")
    expect(phone.locator("main")).not_to_contain_text("Someone else's circle")
    # Held and not counted yet, most recent first; the next Friday is coming up.
    expect(phone.locator("h2:has-text('Waiting for a count') + p + ul > li")).to_have_text(
        [re.compile("Fri 8 Jan 2027"), re.compile("Fri 1 Jan 2027")])
    expect(phone.locator("h2:has-text('Coming up') + ul > li")).to_have_text([re.compile("Fri 22 Jan 2027")])
    check(phone, "my-sessions-375")

    today.get_by_role("link", name="Record the count").click()
    in_person, virtual = phone.get_by_label("In person"), phone.get_by_label("Virtual")
    expect(in_person).to_have_attribute("inputmode", "numeric")
    expect(virtual).to_have_attribute("inputmode", "numeric")
    box = in_person.bounding_box()
    assert box["height"] >= 44 and box["width"] <= 375, box  # a big target that fits the screen
    check(phone, "count-form-375")

    in_person.fill("12")
    virtual.fill("three")
    phone.get_by_role("button", name="Save the count").click()
    expect(phone.locator("#virtual-error")).to_contain_text("Enter a whole number")
    expect(phone.get_by_label("In person")).to_have_value("12")
    expect(phone.get_by_label("Virtual")).to_have_value("three")
    check(phone, "count-form-errors-375")

    phone.get_by_label("Virtual").fill("3")
    phone.get_by_role("button", name="Save the count").click()
    confirmation = phone.locator(".confirmation")
    expect(confirmation).to_contain_text("Count saved")
    expect(confirmation).to_contain_text("12 in person")
    expect(confirmation).to_contain_text("3 virtual")
    expect(confirmation).to_contain_text("Early circle, Fri 15 Jan 2027, 06:00–07:00 EST")
    check(phone, "count-saved-375")

    phone.get_by_role("link", name="Back to my sessions").click()
    expect(phone.locator("h2:has-text('Today') + ul > li")).to_contain_text("Counted: 12 in person, 3 virtual.")
    # A session counted late leaves the waiting list for the counted ones.
    phone.locator("h2:has-text('Waiting for a count') + p + ul > li").first.get_by_role("link", name="Record the count").click()
    phone.get_by_label("In person").fill("7")
    phone.get_by_label("Virtual").fill("0")
    phone.get_by_role("button", name="Save the count").click()
    phone.get_by_role("link", name="Back to my sessions").click()
    expect(phone.locator("h2:has-text('Waiting for a count') + p + ul > li")).to_have_text([re.compile("Fri 1 Jan 2027")])
    expect(phone.locator("h2:has-text('Counted in the last 14 days') + ul > li")).to_contain_text("Counted: 7 in person, 0 virtual.")

    # The count is the one the API reports: numbers only.
    with app.app_context():
        from docbox_sessions.models import AttendanceCount, db
        row = db.session.get(AttendanceCount, f"{series_id}_20270115")
        assert (row.in_person, row.virtual) == (12, 3)


def test_facilitator_cannot_count_a_session_that_has_not_started_or_is_not_theirs(phone, app, ops, staff, base_url, sign_in):
    series_id, other_id = _hybrid_friday_series(app, ops, staff["facilitator"])
    sign_in(phone, "facilitator")
    phone.goto(f"{base_url}/occurrences/{series_id}_20270122/count")
    expect(phone.locator(".flash--error")).to_contain_text("Record the count once it has started")
    expect(phone.get_by_label("In person")).to_have_count(0)
    response = phone.goto(f"{base_url}/occurrences/{other_id}_20270114/count")
    assert response.status == 403
    expect(phone.locator("h1")).to_contain_text("Not allowed")
