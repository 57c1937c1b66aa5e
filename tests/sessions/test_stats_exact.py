"""Organizers' exact statistics are summed by the database from the stored occurrences
(``docbox_sessions.held``): every answer must be the one the former expansion of every series gave,
for every grouping and program, on a department's history with moved, cancelled, restored and
deleted occurrences, split and ended series, and daylight-saving changes in Europe and the US years
ahead; and it is fresh the moment a count is entered or a session changed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from docbox_sessions import held, stats
from docbox_sessions.release import Counts, add_months, live_cells
from docbox_shared.clock import now
from support.expansion import counts_of, expanded

UTC = timezone.utc
STATS = "/api/v1/stats/attendance"


def expanded_cells(first: date, last: date, program_id: str | None = None) -> dict:
    """The former ``live_cells``, word for word: every occurrence of the window expanded in Python."""
    moment = now()
    start = datetime.combine(first, time(), UTC) - timedelta(days=1)
    end = datetime.combine(add_months(last, 1), time(), UTC) + timedelta(days=1)
    held = [o for o in expanded(start, end, program_id)
            if o.status != "cancelled" and o.start <= moment and first <= o.start.date().replace(day=1) <= last]
    counts = counts_of(o.id for o in held)
    cells: dict = {}
    for occ in held:
        cell = cells.setdefault((f"{occ.start:%Y-%m}", occ.program_id, occ.format), Counts())
        cell.sessions_held += 1
        count = counts.get(occ.id)
        if count is not None:
            cell.sessions_counted += 1
            cell.in_person += count.in_person or 0
            cell.virtual += count.virtual or 0
    return cells


def ok(response, status=200):
    assert response.status_code == status, response.json
    return response.json


def listed(api, start: datetime, end: datetime) -> list:
    """Every occurrence from ``start`` to ``end``, a year a request (the list takes two at most)."""
    result = {}
    while start < end:
        step = min(end, start + timedelta(days=365))
        for occ in ok(api("organizer").get(
                f"/api/v1/occurrences?from={start:%Y-%m-%dT%H:%M:%SZ}&to={step:%Y-%m-%dT%H:%M:%SZ}")):
            result.setdefault(occ["id"], occ)   # once, if it overlaps two requests' windows
        start = step
    return list(result.values())


def count_every(api, occurrences, step, offset=0):
    for i, occ in enumerate(o for o in occurrences if o["status"] != "cancelled"):
        if i % step == offset:
            n = 1 + i % 9
            body = {"in_person": n if occ["format"] != "virtual" else None,
                    "virtual": n + 2 if occ["format"] != "in_person" else None}
            ok(api("organizer").put(f"/api/v1/occurrences/{occ['id']}/attendance", json=body))


@pytest.fixture
def history(api, program, clock):
    """Ten years of a New York and a Berlin program, built through the API as organizers would."""
    organizer = api("organizer")
    berlin = ok(organizer.post("/api/v1/programs", json={
        "name": "Berlin circle", "timezone": "Europe/Berlin", "default_format": "in_person",
        "default_location": "Raum 2", "default_video_url": "https://meet.example.org/berlin"}), 201)

    def series(prog, **body):
        return ok(organizer.post("/api/v1/series", json={"program_id": prog["id"], "duration_minutes": 60, **body}), 201)

    # late at night: the local month and the UTC month differ at every month's end
    late = series(program, title="Late", format="hybrid", start="2027-01-18T23:30:00-05:00",
                  rrule="FREQ=WEEKLY;UNTIL=20351231T000000Z")
    # the first of the month at 00:30 in Berlin is still the month before in UTC
    first = series(berlin, title="First", format="in_person", start="2027-02-01T00:30:00+01:00",
                   rrule="FREQ=MONTHLY;COUNT=110")
    # 02:30 on Sundays: skipped when clocks spring forward, twice-ish when they fall back (US and EU)
    us_dst = series(program, title="US Sunday", format="in_person", start="2027-01-17T02:30:00-05:00",
                    rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=470")
    eu_dst = series(berlin, title="EU Sunday", format="virtual", start="2027-01-17T02:30:00+01:00",
                    rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=470")
    doomed = series(program, title="Planned by mistake", format="in_person", start="2031-03-09T01:30:00-05:00",
                    rrule="FREQ=MONTHLY;COUNT=12")
    sessions = [ok(organizer.post("/api/v1/sessions", json={"program_id": prog["id"], "title": title, "format": fmt,
                                                            "start": start, "end": end}), 201)
                for prog, title, fmt, start, end in (
                    (program, "US change night", "hybrid", "2031-03-09T01:30:00-05:00", "2031-03-09T03:30:00-04:00"),
                    (program, "Year's end", "in_person", "2035-12-31T23:30:00-05:00", "2036-01-01T00:30:00-05:00"),
                    (berlin, "EU change night", "virtual", "2035-10-28T02:30:00+01:00", "2035-10-28T03:30:00+01:00"),
                    (berlin, "Cancelled", "in_person", "2031-03-30T10:00:00+02:00", "2031-03-30T11:00:00+02:00"),
                    (berlin, "Deleted", "in_person", "2031-04-02T10:00:00+02:00", "2031-04-02T11:00:00+02:00"))]

    def occurrence_of(entry, day):
        return f"{entry['id']}_{day}"

    # moves across a month's end, cancellations, a restore, deletions: all ahead, as organizers plan
    ok(organizer.patch(f"/api/v1/occurrences/{occurrence_of(late, '20310331')}",
                       json={"start": "2031-04-01T00:30:00-04:00"}))
    ok(organizer.patch(f"/api/v1/occurrences/{occurrence_of(first, '20351101')}",
                       json={"start": "2035-10-31T23:30:00+01:00"}))
    ok(organizer.patch(f"/api/v1/occurrences/{occurrence_of(us_dst, '20311102')}",
                       json={"start": "2031-11-02T01:30:00-05:00"}))   # the second 01:30 of the US fall-back night
    ok(organizer.post(f"/api/v1/occurrences/{occurrence_of(us_dst, '20310309')}/cancel", json={}))
    ok(organizer.post(f"/api/v1/occurrences/{occurrence_of(eu_dst, '20351028')}/cancel", json={"reason": "Holiday"}))
    ok(organizer.post(f"/api/v1/occurrences/{occurrence_of(eu_dst, '20310330')}/cancel", json={}))
    ok(organizer.post(f"/api/v1/occurrences/{occurrence_of(eu_dst, '20310330')}/restore"))
    ok(organizer.post(f"/api/v1/occurrences/{sessions[3]['id']}/cancel", json={}))
    assert organizer.delete(f"/api/v1/series/{doomed['id']}").status_code in (200, 204)
    assert organizer.delete(f"/api/v1/sessions/{sessions[4]['id']}").status_code in (200, 204)

    # mid-2031: counts for a third of what was held, one counted then cancelled, series edited and split
    clock.set(datetime(2031, 6, 15, 12, tzinfo=UTC))
    count_every(api, listed(api, datetime(2027, 1, 1, tzinfo=UTC), datetime(2031, 6, 15, tzinfo=UTC)), 3)
    counted_then_cancelled = occurrence_of(late, "20310602")
    ok(organizer.put(f"/api/v1/occurrences/{counted_then_cancelled}/attendance", json={"in_person": 4, "virtual": 1}))
    ok(organizer.post(f"/api/v1/occurrences/{counted_then_cancelled}/cancel", json={}))
    ok(organizer.patch(f"/api/v1/series/{late['id']}", json={"format": "in_person"}))
    ok(organizer.patch(f"/api/v1/series/{eu_dst['id']}", json={"title": "EU Sunday, renamed",
                                                               "start": "2031-06-22T23:30:00+02:00"}))
    ok(organizer.post(f"/api/v1/series/{first['id']}/end", json={"on": "2034-01-01"}))
    return dict(programs=[program["id"], berlin["id"]])


WINDOWS = [(date(2027, 1, 1), date(2036, 12, 1)), (date(2031, 3, 1), date(2031, 4, 1)),
           (date(2031, 6, 1), date(2031, 6, 1)), (date(2035, 10, 1), date(2035, 11, 1)),
           (date(2035, 12, 1), date(2036, 1, 1)), (date(2020, 1, 1), date(2020, 12, 1))]


def settle(app):
    """What the relay does in each pass: sum the ended months ahead."""
    with app.app_context():
        while held.settle():
            pass


def compare(app, api, history, monkeypatch):
    """The stored occurrences' cells equal the expansion's, and so does every answer an organizer can get."""
    with app.app_context():
        for first, last in WINDOWS:
            for program_id in [None, *history["programs"]]:
                assert live_cells(first, last, program_id) == expanded_cells(first, last, program_id), \
                    (first, last, program_id)
    queries = [f"from={first:%Y-%m-%d}T00:00:00Z&to={add_months(last, 1):%Y-%m-%d}T00:00:00Z&group_by={group_by}"
               + (f"&program={program_id}" if program_id else "")
               for first, last in WINDOWS[:2] for group_by in stats.GROUPINGS
               for program_id in [None, *history["programs"]]]
    new = [ok(api("admin").get(f"{STATS}?{q}")) for q in queries]
    monkeypatch.setattr(stats, "live_cells", expanded_cells)
    old = [ok(api("admin").get(f"{STATS}?{q}")) for q in queries]
    monkeypatch.undo()
    assert new == old
    assert new[0]["totals"]["sessions_held"] > 0
    return new[0]


def test_exact_statistics_equal_the_expansion_of_every_occurrence_as_years_pass(app, api, history, clock, monkeypatch):
    mid_2031 = compare(app, api, history, monkeypatch)   # summed from the stored occurrences
    settle(app)
    assert compare(app, api, history, monkeypatch) == mid_2031   # read from the months summed ahead

    # changes after the relay's sums: a count replaced in a summed month, an occurrence moved across months
    late = next(o for o in listed(api, datetime(2031, 3, 1, tzinfo=UTC), datetime(2031, 4, 1, tzinfo=UTC))
                if o["title"] == "Late" and o["status"] != "cancelled")
    ok(api("organizer").put(f"/api/v1/occurrences/{late['id']}/attendance", json={"in_person": 13, "virtual": 2}))
    ahead = next(o for o in listed(api, datetime(2031, 6, 20, tzinfo=UTC), datetime(2031, 7, 1, tzinfo=UTC))
                 if o["title"] == "US Sunday")
    ok(api("organizer").patch(f"/api/v1/occurrences/{ahead['id']}", json={"start": "2031-07-31T10:00:00-04:00"}))
    changed = compare(app, api, history, monkeypatch)
    assert changed != mid_2031
    settle(app)
    assert compare(app, api, history, monkeypatch) == changed

    # years later, more counted; the clock stops in the middle of a month: only what has started is held
    clock.set(datetime(2036, 1, 1, 5, 0, tzinfo=UTC))   # 2035-12-31 23:30 New York has started; Berlin's 2036 has
    count_every(api, listed(api, datetime(2031, 6, 15, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC)), 4, 1)
    later = compare(app, api, history, monkeypatch)
    assert later["totals"]["sessions_held"] > mid_2031["totals"]["sessions_held"]
    settle(app)
    assert compare(app, api, history, monkeypatch) == later


def test_statistics_change_the_moment_a_count_is_entered_or_a_session_changes(app, api, program, clock):
    organizer = api("organizer")
    circle = ok(organizer.post("/api/v1/series", json={
        "program_id": program["id"], "title": "Circle", "format": "in_person", "duration_minutes": 60,
        "start": "2027-01-04T19:00:00-05:00", "rrule": "FREQ=WEEKLY;COUNT=8"}), 201)
    clock.set(datetime(2027, 2, 1, 1, 0, tzinfo=UTC))   # 2027-01-31 20:00 in New York
    url = f"{STATS}?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z&group_by=month"

    def january():
        rows = {row["key"]: row for row in ok(organizer.get(url))["rows"]}
        row = rows.get("2027-01", {"sessions_held": 0, "sessions_counted": 0, "in_person": 0})
        return row["sessions_held"], row["sessions_counted"], row["in_person"], "2027-02" in rows

    assert january() == (4, 0, 0, False)
    ok(organizer.put(f"/api/v1/occurrences/{circle['id']}_20270111/attendance", json={"in_person": 6}))
    assert january() == (4, 1, 6, False)
    ok(organizer.put(f"/api/v1/occurrences/{circle['id']}_20270111/attendance", json={"in_person": 9}))
    assert january() == (4, 1, 9, False)
    ok(organizer.post(f"/api/v1/occurrences/{circle['id']}_20270111/cancel", json={}))
    assert january() == (3, 0, 0, False)
    # an occurrence ahead moved to the month's last evening is held there once it has started
    ok(organizer.patch(f"/api/v1/occurrences/{circle['id']}_20270201", json={"start": "2027-01-31T22:00:00-05:00"}))
    assert january() == (3, 0, 0, False)
    clock.set(datetime(2027, 2, 1, 3, 30, tzinfo=UTC))
    assert january() == (4, 0, 0, False)
    # and a series edited from here on: what was held stays, the format of what comes changes
    clock.set(datetime(2027, 2, 2, 12, tzinfo=UTC))
    ok(organizer.patch(f"/api/v1/series/{circle['id']}", json={"format": "virtual"}))
    clock.set(datetime(2027, 3, 1, 12, tzinfo=UTC))
    by_format = {row["key"]: row["sessions_held"] for row in ok(organizer.get(
        f"{STATS}?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z&group_by=format"))["rows"]}
    assert by_format == {"in_person": 4, "virtual": 3}

    # January and February have ended and the relay summed them ahead: a count entered now still shows at once
    settle(app)
    ok(organizer.put(f"/api/v1/occurrences/{circle['id']}_20270104/attendance", json={"in_person": 11}))
    assert january() == (4, 1, 11, True)
    ok(organizer.post(f"/api/v1/occurrences/{circle['id']}_20270104/cancel", json={}))
    assert january() == (3, 0, 0, True)
