"""Series people plan years ahead, on the days calendars get wrong, made through the real sessions API: the
29th, 30th and 31st of every month (through 29 February 2028), the fifth Tuesday and the last Friday, a
yearly one on 29 February (2028 and 2032 only), a weekly one moved onto the second 01:30 of a fall-back night,
one ended early, and one crossing a zone's rule change (Mexico City gave up daylight saving in October 2022).
The sessions list, the feed calendar_sync makes of the same events read by recurring-ical-events and by
ical.js (a parser nobody here wrote), and the organizer's iCal download list the very same instants.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
from sessions.test_occurrence_ical import feed_of, pages  # noqa: F401 - pages: a signed-in staff browser

UTC = timezone.utc
EXPAND = Path(__file__).resolve().parents[1] / "calendar_sync" / "js" / "expand.mjs"
YEARS = [(datetime(y, 1, 1, tzinfo=UTC), datetime(y + 2, 1, 1, tzinfo=UTC)) for y in (2022, 2028, 2030, 2032)]

SERIES = {
    "29th": ("2028-01-29T19:00:00", "FREQ=MONTHLY;BYMONTHDAY=29;COUNT=14", None),
    "30th": ("2028-01-30T19:00:00", "FREQ=MONTHLY;BYMONTHDAY=30;COUNT=13", None),
    "31st": ("2028-01-31T19:00:00", "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=8", None),
    "monthly from the 31st": ("2028-01-31T08:00:00", "FREQ=MONTHLY;COUNT=7", None),   # the day said by DTSTART only
    "5th Tuesday": ("2028-02-29T12:15:00", "FREQ=MONTHLY;BYDAY=5TU;COUNT=6", None),
    "last Friday": ("2028-01-28T19:00:00", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=14", None),
    "29 February": ("2028-02-29T18:00:00", "FREQ=YEARLY;COUNT=2", None),
    "fall-back night": ("2028-10-21T19:00:00", "FREQ=WEEKLY;COUNT=4", None),
    "ended early": ("2031-03-01T09:00:00", "FREQ=DAILY;COUNT=20", None),
    "rule change": ("2022-10-01T19:00:00", "FREQ=WEEKLY;COUNT=8", "America/Mexico_City"),
}


@pytest.fixture
def planned(app, api, program):
    organizer, ids = api("organizer"), {}
    for name, (start, rule, zone) in SERIES.items():
        answer = organizer.post("/api/v1/series", json={
            "program_id": program["id"], "title": name, "format": "in_person", "start": start,
            "duration_minutes": 90, "rrule": rule, **({"timezone": zone} if zone else {})})
        assert answer.status_code == 201, (name, answer.json)
        ids[name] = answer.json["id"]
    # The 4 November occurrence moved to the second 01:30 of 5 November (EST, after the clocks went back).
    moved = organizer.patch(f"/api/v1/occurrences/{ids['fall-back night']}_20281104", json={
        "start": "2028-11-05T01:30:00-05:00", "end": "2028-11-05T03:00:00-05:00"})
    assert moved.status_code == 200, moved.json
    ended = organizer.post(f"/api/v1/series/{ids['ended early']}/end", json={"on": "2031-03-11"})
    assert ended.status_code == 200, ended.json
    return ids


def listed_by_sessions(api, program) -> list[tuple]:
    found = []
    for start, end in YEARS:
        answer = api("organizer").get("/api/v1/occurrences", query_string={
            "from": start.isoformat(), "to": end.isoformat(), "program": program["id"]})
        assert answer.status_code == 200, answer.json
        found += [(o["title"], datetime.fromisoformat(o["start"]).astimezone(UTC)) for o in answer.json
                  if o["status"] != "cancelled"]
    return sorted(set(found))


def read_by_recurring_ical_events(body: bytes) -> list[tuple]:
    cal = icalendar.Calendar.from_ical(body)
    return sorted({(str(e["SUMMARY"]), e["DTSTART"].dt.astimezone(UTC))
                   for start, end in YEARS for e in recurring_ical_events.of(cal).between(start, end)})


def read_by_ical_js(body: bytes) -> list[tuple]:
    found = set()
    for start, end in YEARS:
        out = subprocess.run(["node", str(EXPAND), start.isoformat(), end.isoformat()], input=body,
                             capture_output=True, check=True, timeout=120)
        found |= {(o["summary"], datetime.fromisoformat(o["start"].replace("Z", "+00:00"))) for o in json.loads(out.stdout)}
    return sorted(found)


def test_the_list_the_feed_and_the_download_agree_years_ahead(app, api, program, planned, make_database_url, pages):  # noqa: F811
    listed = listed_by_sessions(api, program)
    days = {name: [start for title, start in listed if title == name] for name in SERIES}
    assert days["29 February"] == [datetime(2028, 2, 29, 23, tzinfo=UTC), datetime(2032, 2, 29, 23, tzinfo=UTC)]
    assert len(days["29th"]) == 14 and datetime(2028, 3, 1, 0, tzinfo=UTC) in days["29th"]   # 29 Feb 2028, 19:00 EST
    assert [d.month for d in days["monthly from the 31st"]] == [1, 3, 5, 7, 8, 10, 12]
    assert len(days["5th Tuesday"]) == 6 and len(days["ended early"]) == 10
    assert datetime(2028, 11, 5, 6, 30, tzinfo=UTC) in days["fall-back night"]
    assert datetime(2022, 10, 30, 0, tzinfo=UTC) in days["rule change"]   # 19:00 CDT, the last week of it
    assert datetime(2022, 11, 6, 1, tzinfo=UTC) in days["rule change"]   # 19:00 CST: no daylight saving ever again

    feed = feed_of(app, program, make_database_url)
    assert read_by_recurring_ical_events(feed) == listed
    assert read_by_ical_js(feed) == listed

    download = []
    for start, end in YEARS:
        answer = pages.get(f"/occurrences.ics?from={start:%Y-%m-%d}&to={end.year - 1}-12-31"
                           f"&program={program['id']}")
        assert answer.status_code == 200, answer.text[:300]
        download += [(str(e["SUMMARY"]), e["DTSTART"].dt.astimezone(UTC))
                     for e in icalendar.Calendar.from_ical(answer.data).walk("VEVENT")]
    assert sorted(set(download)) == listed

