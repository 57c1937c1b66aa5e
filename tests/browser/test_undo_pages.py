"""An organizer undoes on the web: cancels with a short reason, deletes a session or a series planned by
mistake, and is told clearly when a series with recorded attendance cannot be deleted (desktop and phone)."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect


def test_an_organizer_cancels_with_a_reason_and_sees_it_on_the_occurrence(page, phone, app, ops, base_url, sign_in,
                                                                          check):
    with ops() as o:
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        series = o.create_series(dict(program_id=program.id, title="Monthly circle", format="in_person",
                                      location="Room 2", start=datetime(2027, 2, 10, 19, 0), duration_minutes=90,
                                      rrule="FREQ=MONTHLY;BYMONTHDAY=10;COUNT=3"))
        series_id = series.id
        occurrence_id = f"{series_id}_20270310"
    sign_in(phone, "organizer")
    phone.goto(f"{base_url}/occurrences/{occurrence_id}/cancel")
    expect(phone.locator("main")).to_contain_text("Do not name people")
    check(phone, "occurrence-cancel-375")

    sign_in(page, "organizer")
    page.goto(f"{base_url}/occurrences/{occurrence_id}")
    page.get_by_role("link", name="Cancel it").click()
    expect(page.get_by_label("Reason")).to_have_attribute("maxlength", "200")
    check(page, "occurrence-cancel")
    page.get_by_label("Reason").fill("Room unavailable")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.locator(".flash--success")).to_contain_text("Cancelled: Monthly circle")
    expect(page.locator("dl.summary")).to_contain_text("Cancelled: Room unavailable")
    with app.app_context():
        from docbox_sessions.models import SeriesException, db
        assert db.session.get(SeriesException, (series_id, datetime(2027, 3, 10).date())).cancel_reason == \
            "Room unavailable"


def test_an_organizer_deletes_a_future_session(page, phone, app, ops, base_url, sign_in, check):
    with ops() as o:
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        session = o.create_session(dict(program_id=program.id, title="Planned by mistake", format="in_person",
                                        location="Room 2",
                                        start=datetime.fromisoformat("2027-02-01T17:30:00-05:00"),
                                        end=datetime.fromisoformat("2027-02-01T19:00:00-05:00")))
        session_id = session.id
    sign_in(phone, "organizer")
    phone.goto(f"{base_url}/sessions/{session_id}/delete")
    expect(phone.locator("main")).to_contain_text("calendar feeds show it as cancelled")
    check(phone, "session-delete-375")

    sign_in(page, "organizer")
    page.goto(f"{base_url}/occurrences/{session_id}")
    page.get_by_role("link", name="Delete it").click()
    check(page, "session-delete")
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator(".flash--success")).to_contain_text("Deleted: Planned by mistake")
    assert "/upcoming" in page.url
    assert page.goto(f"{base_url}/occurrences/{session_id}").status == 404


def test_a_series_with_attendance_is_not_deleted_and_one_without_is(page, phone, app, ops, staff, base_url, sign_in,
                                                                     check):
    with ops() as o:
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        counted = o.create_series(dict(program_id=program.id, title="Weekly circle", format="in_person",
                                       location="Room 2", start=datetime(2027, 1, 6, 19, 0), duration_minutes=90,
                                       rrule="FREQ=WEEKLY;COUNT=6"))
        ahead = o.create_series(dict(program_id=program.id, title="Spring circle", format="in_person",
                                     location="Room 3", start=datetime(2027, 3, 3, 19, 0), duration_minutes=90,
                                     rrule="FREQ=WEEKLY;COUNT=4"))
        counted_id, ahead_id = counted.id, ahead.id
        from docbox_sessions.models import Staff, db
        organizer = db.session.query(Staff).filter_by(email=staff["organizer"]).one()
        o.record_attendance(f"{counted_id}_20270106", organizer, {"in_person": 6})

    sign_in(page, "organizer")
    page.goto(f"{base_url}/series/{counted_id}")
    page.get_by_role("link", name="Delete the series").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.get_by_role("alert")).to_contain_text("Attendance has been recorded")
    expect(page.get_by_role("alert")).to_contain_text("End the series from a date instead")
    check(page, "series-delete-refused")
    assert page.goto(f"{base_url}/series/{counted_id}").status == 200, "the series is still there"

    sign_in(phone, "organizer")
    phone.goto(f"{base_url}/series/{ahead_id}")
    phone.get_by_role("link", name="Delete the series").click()
    check(phone, "series-delete-375")
    phone.get_by_role("button", name="Yes, delete it").click()
    expect(phone.locator(".flash--success")).to_contain_text("Deleted: the series Spring circle")
    check(phone, "series-deleted-375")
    assert phone.goto(f"{base_url}/series/{ahead_id}").status == 404


def test_a_series_that_has_not_started_is_ended_on_a_phone(phone, app, ops, base_url, sign_in, check):
    with ops() as o:
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        series_id = o.create_series(dict(program_id=program.id, title="Spring circle", format="in_person",
                                         location="Room 3", start=datetime(2027, 3, 3, 19, 0), duration_minutes=90,
                                         rrule="FREQ=WEEKLY;COUNT=4")).id
    sign_in(phone, "organizer")
    phone.goto(f"{base_url}/series/{series_id}")
    phone.get_by_role("link", name="End the series").click()
    expect(phone.get_by_label("No sessions on or after")).to_have_value("2027-03-04")
    check(phone, "series-end-not-started-375")
    phone.get_by_label("No sessions on or after").fill("2027-03-17")
    phone.get_by_role("button", name="End the series").click()
    expect(phone.locator(".flash--success")).to_contain_text("Series ended: no occurrence on or after")
    expect(phone.locator("ul.occurrences li")).to_have_count(2)
