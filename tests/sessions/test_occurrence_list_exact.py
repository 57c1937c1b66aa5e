"""The occurrence list (API, pages, CSV and iCal downloads) is read from the stored occurrences
(``docbox_sessions.listed``): every answer must be the one the former expansion of every series gave,
for every window, program and zone, on a plan with moved (into and out of windows, across month ends and
beyond the series' span), cancelled, restored and deleted occurrences, split and ended series, sessions a
day long, and daylight-saving changes in New York, Berlin and Auckland years ahead."""

from __future__ import annotations

import random
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from docbox_sessions import occurrence_export, operations
from docbox_sessions.models import AttendanceCount, OneOffSession, Series, db
from docbox_shared import recurrence
from support.expansion import expanded

UTC = timezone.utc
PASSWORD = "a long passphrase for tests"
ZONES = ("America/New_York", "Europe/Berlin", "Pacific/Auckland", "UTC")


def expanded_ical(first: date, last: date, program_id: str | None, zone_name: str):
    """The former iCal download, word for word, on the former list."""
    from flask import Response

    from docbox_sessions import ical_export
    occs = expanded(*occurrence_export._window(first, last, zone_name), program_id)
    sessions = {s.id: s for s in db.session.scalars(select(OneOffSession).where(
        OneOffSession.id.in_({o.entry_id for o in occs if o.entry_kind == "session"})))}
    series = {s.id: s for s in db.session.scalars(select(Series).where(
        Series.id.in_({o.entry_id for o in occs if o.entry_kind == "series"})))}
    names = occurrence_export.programs()
    items = []
    for occ in occs:
        if occ.entry_kind == "session":
            entry = sessions[occ.entry_id]
            items.append((occ, entry.version, entry.updated_at, None, names.get(occ.program_id)))
            continue
        entry = series[occ.entry_id]
        stamp = max([entry.updated_at, *(e.updated_at for e in entry.exceptions if e.date == occ.recurrence_date)])
        items.append((occ, entry.version, stamp, entry.start_local.time(), names.get(occ.program_id)))
    name = f"{names[program_id] if program_id else 'Doc Box'}, {first} to {last}"
    return Response(ical_export.occurrences_calendar(items, name), mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="docbox-occurrences-{first}-to-{last}.ics"'})


def ok(response, status=200):
    assert response.status_code == status, response.json
    return response.json


def exactly(occurrences) -> list[str]:
    """Each occurrence with its datetimes' zones and folds: equal instants in another zone are not the same answer."""
    return [repr(o) for o in occurrences]


@pytest.fixture
def plan(api, program, clock):
    """Ten years of a New York, a Berlin and an Auckland program, planned and changed through the API."""
    organizer = api("organizer")
    berlin = ok(organizer.post("/api/v1/programs", json={
        "name": "Berlin circle", "timezone": "Europe/Berlin", "default_format": "in_person",
        "default_location": "Raum 2", "default_video_url": "https://meet.example.org/berlin"}), 201)
    auckland = ok(organizer.post("/api/v1/programs", json={
        "name": "Auckland circle", "timezone": "Pacific/Auckland", "default_format": "virtual",
        "default_video_url": "https://meet.example.org/akl"}), 201)

    def series(prog, duration=60, **body):
        return ok(organizer.post("/api/v1/series", json={"program_id": prog["id"], "duration_minutes": duration,
                                                         **body}), 201)

    def move(entry, day, **body):
        return ok(organizer.patch(f"/api/v1/occurrences/{entry['id']}_{day}", json=body))

    def cancel(occurrence_id, **body):
        return ok(organizer.post(f"/api/v1/occurrences/{occurrence_id}/cancel", json=body))

    late = series(program, title="Late", format="hybrid", location="Room 1", video_url="https://meet.example.org/a",
                  start="2027-01-18T23:30:00-05:00", rrule="FREQ=WEEKLY;UNTIL=20361231T000000Z")
    first = series(berlin, title="First", format="in_person", start="2027-02-01T00:30:00+01:00",
                   rrule="FREQ=MONTHLY;COUNT=110")
    us_dst = series(program, title="US Sunday", format="in_person", start="2027-01-17T02:30:00-05:00",
                    rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=470")
    eu_dst = series(berlin, title="EU Sunday", format="virtual", start="2027-01-17T02:30:00+01:00",
                    rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=470")
    series(program, title="Nightly", format="in_person", start="2033-01-01T01:30:00-05:00",
           rrule="FREQ=DAILY;COUNT=1000")   # the repeated 01:30 of three fall-back nights
    whole_day = series(berlin, duration=24 * 60, title="Retreat", format="in_person",
                       start="2027-03-27T12:00:00+01:00", rrule="FREQ=MONTHLY;BYDAY=-1SA;COUNT=60")
    southern = series(auckland, title="Southern", format="virtual", start="2027-01-05T02:30:00+13:00",
                      rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,TU;COUNT=400")
    doomed = series(program, title="Planned by mistake", format="in_person", start="2031-03-09T01:30:00-05:00",
                    rrule="FREQ=MONTHLY;COUNT=12")
    sessions = [ok(organizer.post("/api/v1/sessions", json={"program_id": prog["id"], "title": title, "format": fmt,
                                                            "start": start, "end": end}), 201)
                for prog, title, fmt, start, end in (
                    (program, "US change night", "hybrid", "2031-03-09T01:30:00-05:00", "2031-03-09T03:30:00-04:00"),
                    (program, "Year's end", "in_person", "2035-12-31T23:30:00-05:00", "2036-01-01T00:30:00-05:00"),
                    (berlin, "EU change night", "virtual", "2035-10-28T02:30:00+01:00", "2035-10-28T03:30:00+01:00"),
                    (berlin, "Cancelled", "in_person", "2031-03-30T10:00:00+02:00", "2031-03-30T11:00:00+02:00"),
                    (berlin, "Deleted", "in_person", "2031-04-02T10:00:00+02:00", "2031-04-02T11:00:00+02:00"),
                    (auckland, "A day long", "virtual", "2029-06-30T12:00:00+12:00", "2029-07-01T12:00:00+12:00"),
                    (program, "Moved", "in_person", "2028-01-31T18:00:00-05:00", "2028-01-31T19:00:00-05:00"))]

    move(late, "20310331", start="2031-04-01T00:30:00-04:00")                  # into the next month
    move(first, "20351101", start="2035-10-31T23:30:00+01:00")                 # into the month before
    move(us_dst, "20311102", start="2031-11-02T01:30:00-05:00")                # the second 01:30 of the night
    move(late, "20270125", start="2036-12-30T23:30:00-05:00")                  # years later, past the rule's end
    move(first, "20270201", start="2026-12-20T10:00:00+01:00")                 # before the series starts
    move(eu_dst, "20290107", start="2029-01-07T02:30:00+01:00", location="Raum 9")  # same time, other room
    move(southern, "20300106", start="2030-01-07T02:30:00+13:00")              # across a day in Auckland
    move(late, "20310407", start="2031-04-07T23:30:00-04:00")                  # back where the rule put it
    move(whole_day, "20281028", start="2028-10-31T23:00:00+01:00")             # a day long, across a month end
    cancel(f"{us_dst['id']}_20310309")
    cancel(f"{eu_dst['id']}_20351028", reason="Holiday")
    cancel(f"{eu_dst['id']}_20310330")
    ok(organizer.post(f"/api/v1/occurrences/{eu_dst['id']}_20310330/restore"))
    cancel(f"{first['id']}_20351101", reason="Moved and called off")         # moved, then cancelled
    cancel(sessions[3]["id"])
    ok(organizer.patch(f"/api/v1/occurrences/{sessions[6]['id']}", json={"start": "2028-02-01T09:00:00-05:00"}))
    assert organizer.delete(f"/api/v1/series/{doomed['id']}").status_code in (200, 204)
    assert organizer.delete(f"/api/v1/sessions/{sessions[4]['id']}").status_code in (200, 204)

    clock.set(datetime(2031, 6, 15, 12, tzinfo=UTC))   # series edited and split from today, one ended
    ok(organizer.patch(f"/api/v1/series/{late['id']}", json={"format": "in_person"}))
    ok(organizer.patch(f"/api/v1/series/{eu_dst['id']}", json={"title": "EU Sunday, renamed",
                                                               "start": "2031-06-22T23:30:00+02:00"}))
    ok(organizer.patch(f"/api/v1/series/{southern['id']}", json={"duration_minutes": 90}))
    ok(organizer.post(f"/api/v1/series/{first['id']}/end", json={"on": "2034-01-01"}))
    held = [o for o in ok(organizer.get("/api/v1/occurrences?from=2031-02-20T00:00:00Z&to=2031-06-15T00:00:00Z"))
            if o["status"] != "cancelled"]
    for occ in held[::3]:   # counted: the upcoming page shows planners their numbers
        ok(organizer.put(f"/api/v1/occurrences/{occ['id']}/attendance", json={
            "in_person": 3 if occ["format"] != "virtual" else None, "virtual": 2 if occ["format"] != "in_person" else None}))
    return dict(programs=[program["id"], berlin["id"], auckland["id"]])


def windows() -> list[tuple[datetime, datetime]]:
    """Every month in UTC and at local midnight in each zone, years, the longest window, minutes around the
    repeated and skipped hours, and windows of any length starting anywhere."""
    result = []
    for index in range(2026 * 12 + 11, 2037 * 12 + 1):
        for zone_name in ("UTC", ZONES[index % 3]):
            tz = recurrence.zone(zone_name)
            lo = recurrence.localize(datetime(index // 12, index % 12 + 1, 1), tz)
            hi = recurrence.localize(datetime((index + 1) // 12, (index + 1) % 12 + 1, 1), tz)
            result.append((lo.astimezone(UTC), hi.astimezone(UTC)))
    result += [(datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)) for year in range(2026, 2038)]
    result += [(datetime(2033, 1, 1, tzinfo=UTC), datetime(2035, 1, 2, tzinfo=UTC)),
               (datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC))]
    for moment in ("2033-11-06T05:29:00+00:00", "2033-11-06T06:29:00+00:00", "2031-11-02T06:00:00+00:00",
                   "2031-03-09T06:59:00+00:00", "2028-10-31T22:00:00+00:00", "2035-10-28T01:00:00+00:00"):
        at = datetime.fromisoformat(moment)
        result += [(at, at + timedelta(minutes=m)) for m in (1, 2, 31, 61, 120)]
    pick = random.Random(16)
    for _ in range(100):
        lo = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=pick.randrange(10 * 366 * 24 * 60))
        result.append((lo, lo + timedelta(minutes=pick.choice([1, 30, 90, 1440, 10080, 44640, 525600, 1054080]))))
    return result


def test_the_list_equals_the_expansion_for_every_window_and_program(app, plan):
    pick = random.Random(61)
    with app.app_context():
        counted = set(db.session.scalars(select(AttendanceCount.occurrence_id)))
        for lo, hi in windows():
            program_id = pick.choice([None, None, *plan["programs"]])
            new = operations.list_occurrences(lo, hi, program_id)
            db.session.expunge_all()
            old = expanded(lo, hi, program_id)
            db.session.expunge_all()
            assert exactly(new) == exactly(old), (lo, hi, program_id)
            counts = operations.counts_between(lo, hi, program_id)
            assert set(counts) == {o.id for o in old} & counted, (lo, hi, program_id)
        everything = operations.list_occurrences(datetime(2026, 1, 1, tzinfo=UTC), datetime(2038, 1, 1, tzinfo=UTC))
    assert len(everything) > 3000
    assert {o.status for o in everything} == {"scheduled", "cancelled"} and any(o.moved for o in everything)
    assert len(counted) > 20


@pytest.fixture
def pages(app):
    """A browser-like client signed in as an organizer."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "add", "o@example.org", "--role", "organizer"]).exit_code == 0
    assert runner.invoke(args=["staff", "set-password", "o@example.org", "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 0
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": "o@example.org", "password": PASSWORD, "csrf_token": csrf})
    client.get("/month")   # shows (and so drops) the signed-in message
    return client


def test_every_page_api_answer_and_download_equals_the_expansions(app, api, plan, pages, monkeypatch):
    programs = ["", *plan["programs"]]
    answers = [f"/api/v1/occurrences?from={lo:%Y-%m-%dT%H:%M:%SZ}&to={hi:%Y-%m-%dT%H:%M:%SZ}"
               + (f"&program={p}" if p else "")
               for lo, hi in [(datetime(2031, 3, 1, tzinfo=UTC), datetime(2031, 5, 1, tzinfo=UTC)),
                              (datetime(2035, 10, 1, tzinfo=UTC), datetime(2036, 1, 2, tzinfo=UTC)),
                              (datetime(2033, 11, 6, 5, 29, tzinfo=UTC), datetime(2033, 11, 6, 6, 31, tzinfo=UTC))]
               for p in programs]
    downloads = [f"{path}?from={lo}&to={hi}" + (f"&program={p}" if p else "")
                 for path in ("/occurrences.csv", "/occurrences.ics", "/api/v1/exports/occurrences.csv",
                              "/api/v1/exports/occurrences.ics")
                 for lo, hi in [("2026-12-01", "2027-02-28"), ("2031-03-01", "2031-11-30"), ("2035-10-01", "2037-01-31")]
                 for p in programs[:2]]
    shown = ([f"/month?month={m}" for m in ("2026-12", "2028-10", "2031-03", "2031-11", "2033-11", "2036-12")]
             + [f"/upcoming?from={d}" + (f"&program={p}" if p else "")
                for d in ("2027-01-15", "2031-03-01", "2035-10-20") for p in programs[:2]])

    def answer_all():
        return ([ok(api("organizer").get(url)) for url in answers]
                + [(api("organizer") if url.startswith("/api/") else pages).get(url) for url in downloads + shown])

    def body(response):
        assert response.status_code == 200, response.status_code
        return re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))

    new = answer_all()
    monkeypatch.setattr(operations, "list_occurrences", expanded)
    monkeypatch.setattr(occurrence_export, "ical_response", expanded_ical)
    old = answer_all()
    monkeypatch.undo()
    assert new[:len(answers)] == old[:len(answers)]
    assert all(new[:len(answers):len(programs)])   # every program together has occurrences in each window
    for url, after, before in zip(downloads + shown, new[len(answers):], old[len(answers):]):
        assert body(after) == body(before), url
    assert all(len(body(r).splitlines()) > 2 for r in new[len(answers):len(answers) + len(downloads)])


def test_upgrading_fills_the_stored_occurrences_of_every_entry(app, plan):
    """Entries planned before the stored occurrences existed are listed as before the upgrade, moves,
    cancellations, splits and deletions included."""
    import flask_migrate

    from docbox_sessions import MIGRATIONS

    spans = [(datetime(year, 1, 1, tzinfo=UTC), datetime(year + 2, 1, 1, tzinfo=UTC)) for year in range(2026, 2038, 2)]
    with app.app_context():
        before = [exactly(expanded(lo, hi)) for lo, hi in spans]
        db.session.remove()
        flask_migrate.downgrade(directory=MIGRATIONS, revision="e1f2a3b4c5d6")
        flask_migrate.upgrade(directory=MIGRATIONS)
        db.session.remove()
        assert [exactly(operations.list_occurrences(lo, hi)) for lo, hi in spans] == before
    assert sum(map(len, before)) > 3000
