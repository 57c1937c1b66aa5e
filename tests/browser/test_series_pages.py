"""An organizer edits a series under way (third Wednesday of the month) and ends it, with the keyboard only."""

from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import expect


def test_organizer_edits_a_started_monthly_series_and_ends_it_using_only_the_keyboard(page, app, ops, staff, base_url, check):
    with ops() as o:
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", default_format="in_person",
                                        default_location="ED conference room 2"))
        program_id = program.id
        series_id = o.create_series(dict(program_id=program.id, title="Monthly circle", format="in_person",
                                         start=datetime(2026, 12, 16, 19, 0), duration_minutes=90,
                                         rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=6")).id

    # Sign in with the keyboard: tab order reaches the fields, Enter submits.
    page.goto(f"{base_url}/series/{series_id}")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.get_by_label("Email address").focus()
    page.keyboard.type(staff["organizer"])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("a long passphrase for tests")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Monthly circle")
    expect(page.locator(".lead")).to_contain_text("Monthly on the third Wednesday, 6 times, 19:00 (90 minutes)")
    check(page, "series-monthly")

    page.get_by_role("link", name="Edit the series").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".lead")).to_contain_text("your changes apply from Wednesday 20 January 2027 on")
    expect(page.get_by_label("Changes apply from")).to_have_value("2027-01-20")
    expect(page.get_by_label("Monthly on a weekday")).to_be_checked()
    expect(page.get_by_label("Which", exact=True)).to_have_value("3")
    expect(page.get_by_label("Weekday", exact=True)).to_have_value("WE")
    check(page, "series-edit")
    page.get_by_label("Ends at").fill("21:00")
    page.get_by_label("Title", exact=True).fill("Monthly circle (longer)")
    page.get_by_role("button", name="Save series").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".flash--success")).to_contain_text("changes apply from Wednesday 20 January 2027 on")
    expect(page.locator("h1")).to_have_text("Monthly circle (longer)")
    new_series_id = page.url.rsplit("/", 1)[1]  # the edit split the series: the future is a new one
    occurrences = page.locator(".occurrences > li")
    expect(occurrences).to_have_count(5)
    expect(occurrences.first).to_contain_text("Wed 20 Jan 2027, 19:00–21:00 EST")
    expect(page.locator(".summary")).to_contain_text("the earlier part of this series")

    page.get_by_role("link", name="End the series").click()
    page.get_by_label("No sessions on or after").fill("2027-01-01")
    page.get_by_role("button", name="End the series").click()
    expect(page.locator("#on-error")).to_contain_text("Must be after the first occurrence")
    expect(page.get_by_label("No sessions on or after")).to_have_value("2027-01-01")
    check(page, "series-end-errors")
    page.get_by_label("No sessions on or after").fill("2027-04-01")
    page.get_by_role("button", name="End the series").click()
    expect(page.locator(".flash--success")).to_contain_text("no occurrence on or after Thursday 1 April 2027")
    expect(page.locator(".occurrences > li")).to_have_text([re.compile("20 Jan 2027"), re.compile("17 Feb 2027"),
                                                            re.compile("17 Mar 2027")])

    # The remaining planning pages pass the same checks.
    for url, name in (("/series", "series-list"), ("/sessions/new", "session-new"), ("/my", "my-sessions-organizer"),
                      (f"/programs/{program_id}/edit", "program-edit"), ("/occurrences/nope_20270101", "not-found")):
        page.goto(base_url + url)
        check(page, name)

    # Readable on a phone too: no page scrolls sideways at 375 px.
    page.set_viewport_size({"width": 375, "height": 812})
    for url, name in (("/upcoming?from=2027-01-01", "upcoming-375"), (f"/series/{new_series_id}", "series-375"),
                      ("/series/new", "series-new-375"), (f"/occurrences/{new_series_id}_20270120", "occurrence-375"),
                      (f"/occurrences/{series_id}_20270120", "not-found-375"),
                      ("/programs", "programs-375"), ("/stats", "stats-375")):
        page.goto(base_url + url)
        check(page, name)
