"""The occurrence list downloads as CSV for a range of days, from the upcoming page."""

from __future__ import annotations

import csv
from datetime import datetime

from playwright.sync_api import expect


def _plan(ops):
    with ops() as o:
        program = o.create_program(dict(name="=Doc Box", timezone="America/New_York", open=True))
        series = o.create_series(dict(
            program_id=program.id, title="Monthly circle", format="in_person", location="Room 2",
            start=datetime(2027, 2, 10, 19, 0), duration_minutes=90, rrule="FREQ=MONTHLY;BYMONTHDAY=10;COUNT=4"))
        o.cancel_occurrence(f"{series.id}_20270310")
        o.create_session(dict(program_id=program.id, title="After a lawsuit", format="virtual",
                              video_url="https://meet.example.org/x",
                              start=datetime.fromisoformat("2027-03-20T17:30:00-04:00"),
                              end=datetime.fromisoformat("2027-03-20T19:00:00-04:00")))


def test_a_viewer_downloads_the_occurrences_of_chosen_days_as_csv(page, app, ops, staff, base_url, sign_in, check):
    _plan(ops)
    sign_in(page, "viewer")
    page.goto(f"{base_url}/upcoming")
    page.get_by_label("First day").fill("2027-02-01")
    page.get_by_label("Last day").fill("2027-04-10")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "docbox-occurrences-2027-02-01-to-2027-04-10.csv"
    with open(download.value.path(), newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["Date", "Start", "End", "Time zone", "Program", "Title", "Format", "Place", "Online", "Status"],
        ["2027-02-10", "19:00-05:00", "20:30-05:00", "America/New_York", "'=Doc Box", "Monthly circle", "in-person", "Room 2", "", "scheduled"],
        ["2027-03-10", "19:00-05:00", "20:30-05:00", "America/New_York", "'=Doc Box", "Monthly circle", "in-person", "Room 2", "", "cancelled"],
        ["2027-03-20", "17:30-04:00", "19:00-04:00", "America/New_York", "'=Doc Box", "After a lawsuit", "virtual", "", "https://meet.example.org/x", "scheduled"],
        ["2027-04-10", "19:00-04:00", "20:30-04:00", "America/New_York", "'=Doc Box", "Monthly circle", "in-person", "Room 2", "", "scheduled"],
    ], "both days included, times with their offset (April is summer time), cancelled ones marked, a formula-like name quoted"
    check(page, "upcoming-with-download")

    page.goto(f"{base_url}/upcoming")
    page.get_by_label("First day").fill("2027-04-10")
    page.get_by_label("Last day").fill("2027-02-01")
    page.get_by_role("button", name="Download CSV").click()
    expect(page.locator("main")).to_contain_text("must not come before")
    answer = page.request.get(f"{base_url}/occurrences.csv?from=2027-01-01&to=2031-01-01")
    assert answer.status == 422 and "at most two years" in answer.text()


def test_an_organizer_on_a_phone_downloads_one_programs_days_as_ical(phone, app, ops, staff, base_url, sign_in, check):
    import icalendar

    _plan(ops)
    with ops() as o:
        o.create_program(dict(name="Residents", timezone="Europe/Berlin", open=True))
        other = o.create_program(dict(name="Elsewhere", timezone="Europe/Berlin", open=True))
        o.create_session(dict(program_id=other.id, title="Not this one", format="in_person", location="Hall",
                              start=datetime.fromisoformat("2027-03-01T18:00:00+01:00"),
                              end=datetime.fromisoformat("2027-03-01T19:00:00+01:00")))
    sign_in(phone, "organizer")
    phone.goto(f"{base_url}/upcoming")
    phone.get_by_label("First day").fill("2027-02-01")
    phone.get_by_label("Last day").fill("2027-04-10")
    phone.get_by_label("Program").select_option(label="=Doc Box")
    check(phone, "upcoming-download-375")
    with phone.expect_download() as download:
        phone.get_by_role("button", name="Download iCal").click()
    assert download.value.suggested_filename == "docbox-occurrences-2027-02-01-to-2027-04-10.ics"
    with open(download.value.path(), "rb") as f:
        events = icalendar.Calendar.from_ical(f.read()).walk("VEVENT")
    assert [(str(e["SUMMARY"]), e["DTSTART"].dt.strftime("%Y-%m-%d %H:%M %Z")) for e in events] == [
        ("Monthly circle", "2027-02-10 19:00 EST"), ("Cancelled: Monthly circle", "2027-03-10 19:00 EST"),
        ("After a lawsuit", "2027-03-20 17:30 EDT"), ("Monthly circle", "2027-04-10 19:00 EDT"),
    ], "the CSV's days and program, each at its time in its zone"
    assert {str(e["UID"]).split("-")[1] for e in events} == {"series", "session"}
    with phone.expect_download() as download:
        phone.get_by_role("button", name="Download CSV").click()
    with open(download.value.path(), newline="", encoding="utf-8-sig") as f:
        assert len(list(csv.reader(f))) == 1 + len(events), "both downloads list the same occurrences"
