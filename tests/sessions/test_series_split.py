"""Editing a running series splits it; the moves and cancellations of its future occurrences go with the
part that continues, every field of them (the comparison reads the table's columns, so a column added to
exceptions later is checked without naming it here)."""

from __future__ import annotations

from sqlalchemy import inspect, select

from docbox_sessions.models import SeriesException, db

from .test_calendar_api import new_series, occurrences


def exceptions_of(app, series_id: str) -> dict:
    """``date -> {column: value}`` of a series' exceptions, every mapped column but the series and the stamp."""
    columns = [c.key for c in inspect(SeriesException).column_attrs if c.key not in ("series_id", "updated_at")]
    with app.app_context():
        rows = db.session.scalars(select(SeriesException).where(SeriesException.series_id == series_id))
        return {x.date: {c: getattr(x, c) for c in columns} for x in rows}


def test_a_moved_and_cancelled_occurrence_keeps_every_detail_when_its_series_is_split(app, api, program, clock):
    series = new_series(api, program, format="hybrid", rrule="FREQ=WEEKLY;COUNT=6")
    listed = occurrences(api)
    organizer = api("organizer")
    moved_then_cancelled, moved = listed[4]["id"], listed[5]["id"]
    assert organizer.patch(f"/api/v1/occurrences/{moved_then_cancelled}", json={
        "start": "2027-04-01T18:00:00-04:00", "location": "Library, room 4",
        "video_url": "https://meet.example.org/moved"}).status_code == 200
    assert organizer.post(f"/api/v1/occurrences/{moved_then_cancelled}/cancel",
                          json={"reason": "Room unavailable"}).status_code == 200
    assert organizer.patch(f"/api/v1/occurrences/{moved}", json={
        "start": "2027-04-08T17:30:00-04:00", "location": "Atrium"}).status_code == 200
    before = exceptions_of(app, series["id"])
    listed_before = occurrences(api)[4:]

    clock.set(clock.moment.replace(month=3, day=12))
    edited = organizer.patch(f"/api/v1/series/{series['id']}", json={"title": "Doc Box, renamed"})
    assert edited.status_code == 200, edited.json
    assert edited.json["continues_series_id"] == series["id"], "the series was split"

    assert exceptions_of(app, edited.json["id"]) == before
    assert exceptions_of(app, series["id"]) == {}
    after = occurrences(api)[4:]
    keep = ("start", "end", "location", "video_url", "status", "moved")
    assert [{k: o[k] for k in keep} for o in after] == [{k: o[k] for k in keep} for o in listed_before]
    assert [(o["status"], o["cancel_reason"]) for o in after] == [("cancelled", "Room unavailable"), ("scheduled", None)]
    assert (after[0]["start"], after[0]["location"], after[0]["video_url"]) == (
        "2027-04-01T18:00:00-04:00", "Library, room 4", "https://meet.example.org/moved")
    assert {o["title"] for o in after} == {"Doc Box, renamed"}
