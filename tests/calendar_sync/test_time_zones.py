"""Every occurrence at the same instants in every parser, years ahead, in any zone.

Two parsers that use the VTIMEZONE in the calendar rather than a zone
database of their own: Mozilla's ical.js (Thunderbird; it has no zone database)
and vobject (Radicale's parser; it reads the embedded VTIMEZONE with
dateutil's tzical). Over 2027-2029 they must list exactly what the shared
expansion (the sessions service's) lists, start and end, for series in New
York, London, Sydney (southern hemisphere) and Kolkata (no daylight saving),
with sessions on the days the clocks skip or repeat the session's start, from
the feed's bytes and from what Radicale and Xandikos store after a push.
"""

import json
from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest
import recurring_ical_events
import vobject
import vobject.icalendar

from docbox_calendar_sync import ical
from docbox_shared import recurrence
from docbox_shared.events import load_state

from .test_caldav_push import register, work
from .test_parity import expanded_by_ical_js

UTC = timezone.utc
YEARS = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))


@pytest.fixture
def zones_calendar(sessions):
    program = sessions.program(name="Night shift circle", timezone="America/New_York")
    weekly = dict(rrule="FREQ=WEEKLY;UNTIL=20291231T000000Z")
    # Sundays 01:30: repeated on New York's and London's fall-back days, skipped on London's spring day.
    ny = sessions.series(program, "NY 01:30", datetime(2027, 1, 3, 1, 30), tz="America/New_York", **weekly)
    # Sundays 02:30: skipped on New York's spring-forward days.
    sessions.series(program, "NY 02:30", datetime(2027, 1, 3, 2, 30), tz="America/New_York", minutes=90, **weekly)
    sessions.series(program, "London 01:30", datetime(2027, 1, 3, 1, 30), tz="Europe/London", **weekly)
    # Sundays 02:30 in Sydney: skipped in October, repeated in April.
    sessions.series(program, "Sydney 02:30", datetime(2027, 1, 3, 2, 30), tz="Australia/Sydney", **weekly)
    sessions.series(program, "Kolkata 19:00", datetime(2027, 1, 4, 19, 0), tz="Asia/Kolkata", minutes=45,
                    rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20291231T000000Z")
    # A series that starts on a skipped time, and one moved into the repeated hour's second pass.
    sessions.series(program, "Starts in the gap", datetime(2028, 3, 12, 2, 15), tz="America/New_York",
                    rrule="FREQ=DAILY;COUNT=3")
    sessions.exception(ny, date(2028, 11, 5), start=datetime(2028, 11, 5, 6, 10, tzinfo=UTC),
                       end=datetime(2028, 11, 5, 7, 0, tzinfo=UTC))
    sessions.session(program, "One-off in the second 01:30", datetime(2029, 11, 4, 6, 30, tzinfo=UTC),
                     datetime(2029, 11, 4, 7, 30, tzinfo=UTC), tz="America/New_York")
    return program


def listed(sessions, window=YEARS) -> list[tuple]:
    """``(uid, start, end, summary)`` of each occurrence, from the one shared expansion."""
    found = []
    for (kind, _), state in sessions.states.items():
        if kind == "program":
            continue
        for occ in recurrence.expand(kind, load_state(kind, json.loads(json.dumps(state, default=str))), *window):
            found.append((ical.uid_for(kind, occ.entry_id), occ.start.astimezone(UTC), occ.end.astimezone(UTC),
                          occ.title))
    return sorted(found)


def by_ical_js(script, body: bytes, window=YEARS) -> list[tuple]:
    found = expanded_by_ical_js(script, body, window)
    return sorted((o["uid"], o["start"], o["end"], o["summary"]) for o in found)


def by_vobject(body: bytes, window=YEARS) -> list[tuple]:
    """What vobject reads, using only the VTIMEZONEs in ``body``.

    vobject keeps a process-wide TZID registry (the first calendar parsed wins)
    and falls back to pytz for a TZID it does not know, or whose embedded zone
    looks like UTC for 2000-2020: the registry is emptied first, and every
    zoned time must carry the embedded zone (dateutil's tzical), never pytz's.
    """
    registry = vars(vobject.icalendar)["__tzidMap"]
    registry.clear()
    registry["UTC"] = vobject.icalendar.utc
    cal = vobject.readOne(body.decode())
    masters, overrides = [], {}
    for event in cal.contents.get("vevent", []):
        for line in ("dtstart", "dtend", "recurrence_id"):
            if line.replace("_", "-") not in event.contents:
                continue
            tz = getattr(event, line).value.tzinfo
            assert tz is vobject.icalendar.utc or type(tz).__module__.startswith("dateutil"), \
                f"{event.uid.value} {line} read with {tz!r}, not the embedded VTIMEZONE"
        if "recurrence-id" in event.contents:
            overrides[(event.uid.value, event.recurrence_id.value.astimezone(UTC))] = event
        else:
            masters.append(event)
    found = []

    def add(event, start, end):
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if start < window[1] and end > window[0]:
            found.append((event.uid.value, start, end, event.summary.value))

    for event in masters:
        start = event.dtstart.value
        # DURATION, or DTEND - DTSTART in one zone: a wall-clock difference, as vobject users compute it.
        length = event.duration.value if "duration" in event.contents else event.dtend.value - start
        if "rrule" not in event.contents:
            add(event, start, start + length)
            continue
        for instance in event.getrruleset(addRDate=True):
            key = (event.uid.value, instance.astimezone(UTC))
            if key in overrides:
                override = overrides.pop(key)
                add(override, override.dtstart.value, override.dtend.value)  # Doc Box writes DTEND there
            else:
                add(event, instance, instance + length)
    assert not overrides, f"overrides that match no occurrence: {sorted(overrides)}"
    return sorted(found)


def by_recurring_ical_events(body: bytes, window=YEARS) -> list[tuple]:
    """A third reader (icalendar's; it maps TZIDs to the system zone database)."""
    found = recurring_ical_events.of(icalendar.Calendar.from_ical(body)).between(*window)
    return sorted((str(e["UID"]), e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC),
                   str(e["SUMMARY"])) for e in found)


def feed_body(client, program) -> bytes:
    feed = client.post("/api/v1/feeds", json={"programs": [program["id"]]}).get_json()
    return client.get(feed["url"].split("calendar.example.org", 1)[1]).data


def test_the_calendar_has_the_hard_days(sessions, zones_calendar):
    occurrences = listed(sessions)
    summaries = {o[3] for o in occurrences}
    assert len(summaries) == 7 and len(occurrences) > 600
    # New York's fall-back Sunday: 01:30 EDT, sixty elapsed minutes (not 01:30 EDT-02:30 EST).
    fall_back = [o for o in occurrences if o[3] == "NY 01:30" and o[1].date() == date(2027, 11, 7)]
    assert [(o[1], o[2]) for o in fall_back] == [(datetime(2027, 11, 7, 5, 30, tzinfo=UTC),
                                                   datetime(2027, 11, 7, 6, 30, tzinfo=UTC))]
    # Spring-forward Sunday: 02:30 does not exist and is read with the offset before the gap (03:30 EDT).
    gap = [o for o in occurrences if o[3] == "NY 02:30" and o[1].date() == date(2028, 3, 12)]
    assert [(o[1], o[2]) for o in gap] == [(datetime(2028, 3, 12, 7, 30, tzinfo=UTC),
                                             datetime(2028, 3, 12, 9, 0, tzinfo=UTC))]
    assert all(o[2] - o[1] == timedelta(minutes=60) for o in occurrences if o[3] == "Sydney 02:30")


def test_feed_read_by_ical_js_and_vobject_with_its_own_zones(client, sessions, zones_calendar, ical_js):
    body = feed_body(client, zones_calendar)
    expected = listed(sessions)
    assert by_ical_js(ical_js, body) == expected
    assert by_vobject(body) == expected
    assert by_recurring_ical_events(body) == expected


def test_every_observance_is_one_value_a_line(client, sessions, zones_calendar):
    body = feed_body(client, zones_calendar).decode()
    unfolded = body.replace("\r\n ", "")
    zones = [block for block in unfolded.split("BEGIN:VTIMEZONE")[1:]]
    assert len(zones) == 4
    for line in unfolded.splitlines():
        if line.startswith(("RDATE", "EXDATE")):
            assert "," not in line, line
    kolkata = next(z for z in zones if "TZID:Asia/Kolkata" in z)
    assert kolkata.count("BEGIN:STANDARD") == 1 and "DAYLIGHT" not in kolkata
    new_york = next(z for z in zones if "TZID:America/New_York" in z)
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in new_york


@pytest.mark.parametrize("server", ["radicale", "xandikos"])
def test_what_caldav_servers_store_reads_the_same(client, runner, sessions, zones_calendar, ical_js, server,
                                                  request):
    caldav = request.getfixturevalue(server)
    register(client, caldav, [zones_calendar])
    work(runner)
    stored = caldav.objects()
    assert len(stored) == 7
    read_js, read_vobject = [], []
    for text in stored.values():  # each object as the server gives it back, not as Doc Box sent it
        read_js += by_ical_js(ical_js, text.encode())
        read_vobject += by_vobject(text.encode())
    expected = listed(sessions)
    assert sorted(read_js) == expected
    assert sorted(read_vobject) == expected


def test_calendar_names_are_escaped_text(client, sessions):
    name = "Doc Box Hold, Test; \\ Ω"
    program = sessions.program(name=name)
    sessions.series(program, "Circle", datetime(2027, 1, 5, 19, 0), "FREQ=WEEKLY;COUNT=2")
    body = feed_body(client, program)
    unfolded = body.replace(b"\r\n ", b"")
    escaped = "Doc Box Hold\\, Test\\; \\\\ Ω".encode()
    assert b"\r\nX-WR-CALNAME:Doc Box: " + escaped + b"\r\n" in unfolded
    assert b"\r\nNAME:Doc Box: " + escaped + b"\r\n" in unfolded
    assert b"\r\nCATEGORIES:" + escaped + b"\r\n" in unfolded
    cal = vobject.readOne(body.decode())
    assert cal.contents["x-wr-calname"][0].value == "Doc Box: " + name


def test_upgrading_pushes_objects_written_by_the_old_renderer_again(app, client, runner, sessions, radicale):
    from flask_migrate import downgrade, upgrade

    program = sessions.program(name="Circle")
    sessions.series(program, "NY 01:30", datetime(2027, 1, 3, 1, 30), tz="America/New_York",
                    rrule="FREQ=WEEKLY;COUNT=60")
    register(client, radicale, [program])
    work(runner)
    assert work(runner).get("pushed", 0) == 0  # nothing due any more
    with app.app_context():
        downgrade(revision="0001")
        upgrade()
    assert work(runner)["pushed"] == 1
    assert sorted(by_vobject(next(iter(radicale.objects().values())).encode())) == listed(sessions)


FAR = (datetime(2038, 1, 1, tzinfo=UTC), datetime(2041, 1, 1, tzinfo=UTC))


def test_series_running_to_2040_read_the_same_after_a_dozen_clock_changes(client, sessions, ical_js):
    """The feed's VTIMEZONEs carry a zone to 2040: Berlin, Sydney (southern hemisphere), Kolkata (no
    daylight saving), Sao Paulo (none since 2019), Dublin (tzdata's negative daylight saving) and New York,
    each with a session on the night a clock change skips or repeats it, and occurrences moved and
    cancelled in 2039 and 2040."""
    program = sessions.program(name="Far ahead", timezone="America/New_York")
    weekly = "FREQ=WEEKLY;UNTIL=20401231T000000Z"
    for tz, hour in (("Europe/Berlin", 2), ("Australia/Sydney", 2), ("Asia/Kolkata", 19),
                     ("America/Sao_Paulo", 0), ("Europe/Dublin", 1), ("America/New_York", 1)):
        series = sessions.series(program, tz, datetime(2031, 1, 5, hour, 30), weekly, tz=tz, minutes=90)
        series = sessions.exception(series, date(2039, 11, 6), start=datetime(2039, 11, 6, 6, 10, tzinfo=UTC),
                                    end=datetime(2039, 11, 6, 7, 0, tzinfo=UTC))
        sessions.exception(series, date(2040, 3, 25), status="cancelled")
    body = feed_body(client, program)
    expected = listed(sessions, FAR)
    assert len(expected) == 6 * (52 + 52 + 53)   # every Sunday of 2038-2040 in each zone, the cancelled too
    def titles(found):   # a cancelled occurrence is still listed, its summary says so
        return [(uid, start, end, summary.removeprefix("Cancelled: ")) for uid, start, end, summary in found]

    assert sum(o[3].startswith("Cancelled: ") for o in by_ical_js(ical_js, body, FAR)) == 6
    assert titles(by_ical_js(ical_js, body, FAR)) == expected
    assert titles(by_vobject(body, FAR)) == expected
