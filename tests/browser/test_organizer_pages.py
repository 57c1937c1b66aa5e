"""An organizer plans in the browser: a program, a fortnightly series, one move, one cancellation."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_organizer_plans_a_fortnightly_series_moves_and_cancels_and_sees_them_in_the_month(page, base_url, sign_in, check):
    sign_in(page, "organizer", check=check)
    check(page, "upcoming-empty")

    # A program first: every session belongs to one.
    page.get_by_role("link", name="Programs").click()
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name", exact=True).fill("Doc Box")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("In person").check()
    page.get_by_label("Usual location").fill("ED conference room 2")
    page.get_by_label("Open: faculty can see").check()
    check(page, "program-new")
    page.get_by_role("button", name="Save program").click()
    expect(page.locator(".flash--success")).to_contain_text("Program Doc Box created.")
    check(page, "programs")

    # A fortnightly series on Wednesdays, first sent with mistakes.
    page.get_by_role("link", name="New series").first.click()
    page.get_by_label("First date").fill("2027-02-03")
    page.get_by_label("Starts at").fill("19:00")
    page.get_by_label("Ends at").fill("20:30")
    page.get_by_label("Weekly: every week").check()
    page.get_by_label("How often").select_option(label="Every other week")
    page.get_by_label("On", exact=True).select_option(label="Tuesday")
    page.get_by_label("After a number of sessions").check()
    page.get_by_label("Number of sessions", exact=True).fill("6")
    check(page, "series-new")
    page.get_by_role("button", name="Plan the series").click()

    # Messages next to the fields; what was typed is kept.
    expect(page.locator("#title-error")).to_contain_text("Enter a title")
    expect(page.locator("#first_date-error")).to_contain_text("3 February 2027 is a Wednesday; the series meets on Tuesdays")
    expect(page.get_by_label("First date")).to_have_value("2027-02-03")
    expect(page.get_by_label("Number of sessions", exact=True)).to_have_value("6")
    expect(page.get_by_label("How often")).to_have_value("2")
    check(page, "series-new-errors")

    page.get_by_label("Title", exact=True).fill("Doc Box: fortnightly circle")
    page.get_by_label("On", exact=True).select_option(label="Wednesday")
    page.get_by_role("button", name="Plan the series").click()
    expect(page.locator(".flash--success")).to_contain_text("every other week on Wednesday, 6 times")
    occurrences = page.locator(".occurrences > li")
    expect(occurrences).to_have_count(6)
    expect(occurrences.nth(1)).to_contain_text("Wed 17 Feb 2027, 19:00–20:30 EST")
    check(page, "series-detail")

    # Move the second occurrence to the Thursday, an hour earlier.
    occurrences.nth(1).get_by_role("link").click()
    check(page, "occurrence")
    page.get_by_role("link", name="Move it").click()
    page.get_by_label("New date").fill("2027-02-18")
    page.get_by_label("Starts at").fill("18:00")
    page.get_by_label("Ends at").fill("17:00")
    page.get_by_role("button", name="Move it").click()
    expect(page.locator("#end_time-error")).to_contain_text("Must be after the start")
    expect(page.get_by_label("New date")).to_have_value("2027-02-18")
    check(page, "move-errors")
    page.get_by_label("Ends at").fill("19:30")
    page.get_by_role("button", name="Move it").click()
    expect(page.locator(".flash--success")).to_contain_text("is now on Thu 18 Feb 2027, 18:00–19:30 EST")
    expect(page.locator(".occ-tags")).to_contain_text("Moved from Wed 17 Feb, 19:00")

    # Cancel the third one, after a confirmation.
    page.get_by_role("link", name="Doc Box: fortnightly circle").click()
    page.locator(".occurrences > li").nth(2).get_by_role("link").click()
    page.get_by_role("link", name="Cancel it").click()
    check(page, "cancel-confirm")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.locator(".flash--success")).to_contain_text("Cancelled: Doc Box: fortnightly circle on Wed 3 Mar 2027")
    expect(page.locator(".summary")).to_contain_text("Cancelled")

    # The month view says so in words, on the right days.
    page.goto(f"{base_url}/month?month=2027-02")
    february = page.locator("table.month")
    expect(february.locator("td", has_text=re.compile(r"^\s*Thu 18 Feb"))).to_contain_text("Moved")
    expect(february.locator("td", has_text=re.compile(r"^\s*Wed 3 Feb"))).to_contain_text("In person")
    expect(february.locator("td", has_text=re.compile(r"^\s*Wed 17 Feb"))).to_have_count(0)  # nothing left on the 17th
    check(page, "month-february")
    page.get_by_role("link", name="March 2027 →").click()
    march = page.locator("table.month")
    expect(march.locator("td", has_text=re.compile(r"^\s*Wed 3 Mar"))).to_contain_text("Cancelled")
    expect(march.locator("td", has_text=re.compile(r"^\s*Wed 17 Mar"))).not_to_contain_text("Cancelled")
    check(page, "month-march")
    page.set_viewport_size({"width": 375, "height": 812})
    check(page, "month-march-375")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{base_url}/upcoming?from=2027-02-01")
    expect(page.locator("li.is-cancelled")).to_contain_text("Cancelled")
    check(page, "upcoming")
