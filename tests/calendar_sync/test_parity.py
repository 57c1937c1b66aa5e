"""Feeds read the same in parsers nobody here wrote: Node's ical.js and recurring-ical-events.

The calendar has what calendar clients get wrong most often: a weekly series
across a daylight-saving change (in two zones), a moved and a cancelled
occurrence, a series that was ended early (an exception past its new end must
vanish), a one-off, and titles with commas, semicolons, newlines and
non-ASCII text. Both parsers must list exactly the occurrences the sessions
service lists (its shared expansion): times, titles, locations, cancellations.
"""

import json
import subprocess
from datetime import date, datetime, timezone

import icalendar
import pytest
import recurring_ical_events

from docbox_calendar_sync import ical
from docbox_shared import recurrence
from docbox_shared.events import load_state

UTC = timezone.utc
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@pytest.fixture
def tricky_calendar(sessions):
    program = sessions.program(name="Wellbeing, Ärzte; night", timezone="America/New_York")
    # Titles are one line (they reach mail headers); line breaks to escape live in descriptions.
    weekly = sessions.series(program, "Circle, open; all welcome — Zoë", datetime(2026, 2, 24, 19, 0),
                             "FREQ=WEEKLY;COUNT=8", tz="America/New_York", location="Room 3, West; 2nd floor",
                             description="all\nwelcome; a, b \\ c")
    weekly = sessions.exception(weekly, date(2026, 3, 10), start=datetime(2026, 3, 11, 22, 30, tzinfo=UTC),
                                end=datetime(2026, 3, 11, 23, 30, tzinfo=UTC), location="Café Ü")
    weekly = sessions.exception(weekly, date(2026, 3, 17), status="cancelled")
    sessions.series(program, "Montagsrunde", datetime(2026, 3, 16, 18, 30), "FREQ=WEEKLY;COUNT=4",
                    tz="Europe/Berlin", video_url="https://video.example.org/m")
    ended = sessions.series(program, "Ended early", datetime(2026, 4, 1, 12, 0), "FREQ=DAILY;COUNT=10",
                            tz="America/New_York")
    ended = sessions.exception(ended, date(2026, 4, 8), start=datetime(2026, 4, 8, 20, tzinfo=UTC),
                               end=datetime(2026, 4, 8, 21, tzinfo=UTC))
    ended = sessions.change("series", ended, rrule=recurrence.end_rule_before(
        ended["rrule"], ended["start_local"], ended["timezone"], date(2026, 4, 5)))
    sessions.session(program, "One-off: 😀 résumé, Q&A; part 1 part 2", datetime(2026, 5, 2, 14, tzinfo=UTC),
                     datetime(2026, 5, 2, 15, 30, tzinfo=UTC), tz="America/New_York", location=None,
                     description="part 1\npart 2")
    sessions.session(program, "Cancelled one-off", datetime(2026, 5, 9, 14, tzinfo=UTC),
                     datetime(2026, 5, 9, 15, tzinfo=UTC), tz="America/New_York", status="cancelled")
    return program


def listed_by_sessions(sessions, hide_cancelled: bool) -> list[dict]:
    """What the sessions service lists, through the one shared expansion."""
    found = []
    for (kind, _), state in sessions.states.items():
        if kind == "program":
            continue
        for occ in recurrence.expand(kind, load_state(kind, json.loads(json.dumps(state, default=str))),
                                     *WINDOW):
            if hide_cancelled and occ.status == "cancelled":
                continue
            found.append({"uid": ical.uid_for(kind, occ.entry_id), "start": occ.start.astimezone(UTC),
                          "end": occ.end.astimezone(UTC),
                          "summary": ("Cancelled: " if occ.status == "cancelled" else "") + occ.title,
                          "location": occ.location,
                          "status": "CANCELLED" if occ.status == "cancelled" else "CONFIRMED"})
    return sorted(found, key=lambda o: (o["start"], o["uid"]))


def expanded_by_ical_js(script, body: bytes, window=WINDOW) -> list[dict]:
    result = subprocess.run(["node", str(script), window[0].isoformat(), window[1].isoformat()], input=body,
                            capture_output=True, check=True)
    occurrences = json.loads(result.stdout)
    for occ in occurrences:
        occ["start"] = datetime.fromisoformat(occ["start"].replace("Z", "+00:00"))
        occ["end"] = datetime.fromisoformat(occ["end"].replace("Z", "+00:00"))
    return sorted(occurrences, key=lambda o: (o["start"], o["uid"]))


def expanded_by_recurring_ical_events(body: bytes) -> list[dict]:
    found = []
    for event in recurring_ical_events.of(icalendar.Calendar.from_ical(body)).between(*WINDOW):
        found.append({"uid": str(event["UID"]), "start": event.decoded("DTSTART").astimezone(UTC),
                      "end": event.decoded("DTEND").astimezone(UTC), "summary": str(event["SUMMARY"]),
                      "location": str(event["LOCATION"]) if "LOCATION" in event else None,
                      "status": str(event["STATUS"])})
    return sorted(found, key=lambda o: (o["start"], o["uid"]))


@pytest.mark.parametrize("hide_cancelled", [False, True], ids=["cancelled-shown", "cancelled-hidden"])
def test_two_independent_parsers_see_exactly_the_listed_occurrences(client, sessions, tricky_calendar, ical_js,
                                                                   hide_cancelled):
    feed = client.post("/api/v1/feeds", json={"programs": [tricky_calendar["id"]],
                                              "hide_cancelled": hide_cancelled}).get_json()
    body = client.get(feed["url"].split("calendar.example.org", 1)[1]).data
    expected = listed_by_sessions(sessions, hide_cancelled)
    # The calendar really has the hard cases in it.
    assert any(o["status"] == "CANCELLED" for o in expected) != hide_cancelled
    new_york = [o for o in expected if o["summary"].startswith("Circle")]
    assert {o["start"].hour for o in new_york} == {0, 23, 22}  # 19:00 EST is 00:00Z, EDT 23:00Z, moved 22:30Z
    assert not any(o["start"].date() >= date(2026, 4, 5) for o in expected if o["summary"] == "Ended early")
    assert expanded_by_ical_js(ical_js, body) == expected
    assert expanded_by_recurring_ical_events(body) == expected
