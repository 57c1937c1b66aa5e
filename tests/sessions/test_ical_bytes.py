"""The organizer's iCal download read as raw bytes: a title and a place full of what breaks folding (emoji,
CJK, combining accents right where a line folds at 75 octets) and TEXT's special characters, an occurrence
cancelled with a reason holding them too. The answer is text/calendar in UTF-8, an attachment; every line is
CRLF, folded at 75 octets between characters, and the text comes back as typed through ical.js."""

from __future__ import annotations

from sessions.test_occurrence_ical import ical_js, pages, read_with_ical_js  # noqa: F401 - fixtures

from support.ics_bytes import wire_lines

TITLE = "a" * 56 + "😀漢字e\u0301 ; , \\ x"
PLACE = "Raum " + "e\u0301" * 40 + " 🏥, Haus; 3"
REASON = "Room flooded; sorry, back \\ next month 🌧"


def escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def test_the_ical_download_is_crlf_folded_between_characters_and_escaped(api, program, pages, ical_js):  # noqa: F811
    organizer = api("organizer")
    series = organizer.post("/api/v1/series", json={
        "program_id": program["id"], "title": TITLE, "format": "in_person", "location": PLACE,
        "start": "2027-02-10T19:00:00", "duration_minutes": 90, "rrule": "FREQ=MONTHLY;BYMONTHDAY=10;COUNT=3",
        "timezone": "America/New_York"})
    assert series.status_code == 201, series.text
    cancelled = organizer.post(f"/api/v1/occurrences/{series.json['id']}_20270310/cancel", json={"reason": REASON})
    assert cancelled.status_code == 200, cancelled.text
    answer = pages.get(f"/occurrences.ics?from=2027-02-01&to=2027-04-30&program={program['id']}")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    lines = wire_lines(answer.data)
    assert lines.count(f"SUMMARY:{escaped(TITLE)}") == 2 and f"SUMMARY:Cancelled: {escaped(TITLE)}" in lines
    assert lines.count(f"LOCATION:{escaped(PLACE)}") == 3
    assert any(line.startswith("DESCRIPTION:") and escaped(f"Cancelled: {REASON}") in line for line in lines), lines
    read = read_with_ical_js(ical_js, answer.data)
    assert [e["summary"] for e in read["events"]] == [TITLE, f"Cancelled: {TITLE}", TITLE]
