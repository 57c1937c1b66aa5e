"""Times on the staff pages read the same length as the session, on the nights the clocks change."""

from __future__ import annotations

import csv
import html
import io

from support.staff_pages import sign_in


def test_a_session_the_clock_change_falls_inside_shows_each_end_in_its_own_offset(app, api, program, staff):
    # Sixty minutes from 01:30 EDT on the fall-back night end at 01:30 EST: "01:30–01:30 EDT" read as none.
    created = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Night shift debrief", "format": "in_person",
        "start": "2027-11-07T01:30:00-04:00", "end": "2027-11-07T01:30:00-05:00"})
    assert created.status_code == 201, created.json
    browser = app.test_client()
    assert sign_in(browser, "organizer@example.org").status_code == 302
    page = html.unescape(browser.get(f"/occurrences/{created.json['id']}/cancel").get_data(as_text=True))
    assert "Sun 7 Nov 2027, 01:30 EDT–01:30 EST" in page
    listed = html.unescape(browser.get("/upcoming?from=2027-11-07").get_data(as_text=True))
    assert "01:30 EDT–01:30 EST" in listed and "01:30–01:30" not in listed


def test_the_occurrence_csv_gives_each_time_its_offset_so_the_fall_back_nights_two_01_30s_differ(app, api, program, staff):
    # 01:30 happens twice on the fall-back night: once in summer time (-04:00), an hour later in winter time (-05:00).
    for title, start, end in (("Night shift debrief", "2027-11-07T01:30:00-04:00", "2027-11-07T01:50:00-04:00"),
                              ("Second debrief", "2027-11-07T01:30:00-05:00", "2027-11-07T01:50:00-05:00")):
        created = api("organizer").post("/api/v1/sessions", json={
            "program_id": program["id"], "title": title, "format": "in_person", "start": start, "end": end})
        assert created.status_code == 201, created.json
    browser = app.test_client()
    assert sign_in(browser, "viewer@example.org").status_code == 302
    answer = browser.get("/occurrences.csv?from=2027-11-07&to=2027-11-07")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"), newline="")))
    assert [row[:4] + [row[5]] for row in rows[1:]] == [
        ["2027-11-07", "01:30-04:00", "01:50-04:00", "America/New_York", "Night shift debrief"],
        ["2027-11-07", "01:30-05:00", "01:50-05:00", "America/New_York", "Second debrief"]]
    listed = html.unescape(browser.get("/upcoming?from=2027-11-07").get_data(as_text=True))
    assert "Night shift debrief" in listed and "Second debrief" in listed, "the page lists what the CSV holds"
