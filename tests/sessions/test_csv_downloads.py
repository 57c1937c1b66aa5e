"""The CSV downloads open in Excel with names as typed: UTF-8 with a byte-order mark."""

from __future__ import annotations

from support.downloads import csv_rows
from support.staff_pages import sign_in

NAME, TITLE = "Zoë's circle", "Café für Ärztinnen"


def test_names_with_accents_survive_every_csv_download(app, api, staff, clock):
    program = api("organizer").post("/api/v1/programs", json={
        "name": NAME, "timezone": "America/New_York", "open": True, "default_format": "in_person"})
    assert program.status_code == 201, program.json
    created = api("organizer").post("/api/v1/sessions", json={
        "program_id": program.json["id"], "title": TITLE, "format": "in_person", "location": "Salle 2",
        "start": "2027-02-10T19:00:00-05:00", "end": "2027-02-10T20:30:00-05:00"})
    assert created.status_code == 201, created.json
    browser = app.test_client()
    assert sign_in(browser, "organizer@example.org").status_code == 302

    page = csv_rows(browser.get("/occurrences.csv?from=2027-02-01&to=2027-02-28"))
    assert page[0][0] == "Date", "the first heading is read without a stray mark"
    assert page[1][4:6] == [NAME, TITLE]
    scripted = csv_rows(api("viewer").get("/api/v1/exports/occurrences.csv?from=2027-02-01&to=2027-02-28"))
    assert scripted == page, "the API gives the page's download"
    clock.advance(days=30)  # held, so the statistics list its program
    stats = csv_rows(browser.get("/stats.csv?by=program&from=2027-01&to=2027-02"))
    assert stats[0][0] == "Program" and NAME in [row[0] for row in stats[1:]], stats
