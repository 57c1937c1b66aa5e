"""Statistics: a chart and a table; a viewer sees the statistics release, an organizer the exact numbers."""

from __future__ import annotations

from datetime import datetime

from playwright.sync_api import expect
from sqlalchemy import select

COUNTS = {"20260910": (12, 3), "20261010": (20, 10), "20261110": (8, 7), "20261210": (15, 0)}


def _monthly_counts(app, ops, staff):
    from docbox_sessions.models import Staff, db
    with ops() as o:
        organizer = db.session.scalar(select(Staff).where(Staff.email == staff["organizer"]))
        program = o.create_program(dict(name="Doc Box", timezone="America/New_York", open=True))
        series = o.create_series(dict(
            program_id=program.id, title="Monthly circle", format="hybrid", location="Room 2",
            video_url="https://meet.example.org/c", start=datetime(2026, 9, 10, 10, 0), duration_minutes=90,
            rrule="FREQ=MONTHLY;BYMONTHDAY=10;COUNT=5"))
        for day, (in_person, virtual) in COUNTS.items():
            o.record_attendance(f"{series.id}_{day}", organizer, {"in_person": in_person, "virtual": virtual})


def _row(page, month):
    return page.locator("table tbody tr", has=page.locator("th", has_text=month)).locator("td")


def test_viewer_sees_suppressed_statistics_and_an_organizer_the_exact_ones(page, browser, app, ops, staff, base_url,
                                                                          sign_in, check):
    _monthly_counts(app, ops, staff)
    sign_in(page, "viewer")
    assert page.url.endswith("/stats")
    expect(page.locator("main")).to_contain_text("fewer than 5")
    expect(page.locator("main")).to_contain_text("released statistics, through December 2026")
    # held, counted, in person, virtual, total: 3 is withheld, and 12 with it (else 15 - 12 gives it away);
    # December's 15 too, else the year's and quarters' sums would give September's parts away.
    expect(_row(page, "September 2026")).to_have_text(["1", "1", "withheld", "withheld", "15"])
    expect(_row(page, "October 2026")).to_have_text(["1", "1", "20", "10", "30"])
    expect(_row(page, "December 2026")).to_have_text(["1", "1", "withheld", "0", "withheld"])
    expect(page.locator("table tbody tr", has=page.locator("th", has_text="January 2027"))).to_have_count(0)
    chart = page.locator("figure.chart svg[role=img]")
    expect(chart).to_have_count(1)
    expect(chart.locator("title").first).to_have_text("Attendance per month, February 2026 to January 2027")
    expect(chart).to_contain_text("September 2026: 15 in total")  # one plain bar: its parts are withheld
    expect(chart).to_contain_text("October 2026: 20 in person")
    assert "3 virtual" not in chart.inner_html() and "12 in person" not in chart.inner_html()
    check(page, "stats-viewer")

    page.get_by_label("From month").fill("2026-10")
    page.get_by_label("To month").fill("2026-09")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#from-error")).to_contain_text("must not come after")
    expect(page.get_by_label("To month")).to_have_value("2026-09")

    organizer_context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        organizer = organizer_context.new_page()
        sign_in(organizer, "organizer")
        organizer.goto(f"{base_url}/stats")
        expect(_row(organizer, "September 2026")).to_have_text(["1", "1", "12", "3", "15"])
        expect(organizer.locator("table caption")).to_contain_text("(exact)")
        expect(organizer.locator("figure.chart svg")).to_contain_text("September 2026: 3 virtual")
        check(organizer, "stats-organizer")
        organizer.set_viewport_size({"width": 375, "height": 812})
        check(organizer, "stats-organizer-375")
    finally:
        organizer_context.close()


def test_statistics_by_quarter_and_format_download_as_the_csv_of_exactly_what_the_page_shows(
        page, browser, app, ops, staff, base_url, sign_in, check):
    """A viewer groups by quarter, then by format, and downloads each table: the CSV holds the
    page's rows cell for cell, withheld cells included, and no more."""
    import csv

    _monthly_counts(app, ops, staff)
    sign_in(page, "viewer")
    page.get_by_label("From month").fill("2026-07")
    page.get_by_label("To month").fill("2026-12")
    page.get_by_label("Group by").select_option("quarter")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("h1")).to_have_text("Attendance per quarter")
    check(page, "stats-viewer-quarter")

    def shown_and_downloaded():
        shown = [[c.inner_text().strip() for c in r.locator("th, td").all()]
                 for r in page.locator("table thead tr, table tbody tr, table tfoot tr").all()]
        with page.expect_download() as download:
            page.get_by_role("link", name="Download this table (CSV)").click()
        with open(download.value.path(), newline="", encoding="utf-8-sig") as f:
            return shown, list(csv.reader(f)), download.value.suggested_filename

    shown, downloaded, name = shown_and_downloaded()
    assert downloaded == shown and name == "docbox-attendance-by-quarter-2026-07-to-2026-12.csv"
    # Q3 holds September's withheld parts; Q4 publishes them (October to December).
    assert downloaded[1][0] == "Q3 2026" and "withheld" in downloaded[1]
    assert downloaded[-1][0] == "Total"

    page.get_by_label("Group by").select_option("format")
    page.get_by_role("button", name="Show").click()
    shown, downloaded, _ = shown_and_downloaded()
    assert downloaded == shown and [row[0] for row in downloaded[1:]] == ["hybrid", "Total"]
    page.set_viewport_size({"width": 375, "height": 812})
    check(page, "stats-viewer-format-375")
