"""Listing occurrences reads only what overlaps the window, in a number of statements that does not
grow with the number of series (behaviour, not timing: statements are counted, never timed)."""

from __future__ import annotations

from docbox_sessions.models import db
from support.statements import statements

from .test_calendar_api import new_series, occurrences


def listing_statements(app, api, start, end) -> tuple[int, list]:
    with statements(app) as seen:
        listed = occurrences(api, start, end)
    return len(seen), listed


def test_statements_per_listing_do_not_grow_with_the_number_of_series(app, api, program):
    new_series(api, program)
    few, listed = listing_statements(app, api, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z")
    assert len(listed) == 4
    for month in range(2, 10):
        new_series(api, program, start=f"2027-{month:02d}-03T19:00:00-05:00", title=f"Series {month}")
    many, listed = listing_statements(app, api, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z")
    assert len(listed) == 4 * 9
    assert many == few
    empty, listed = listing_statements(app, api, "2029-01-01T00:00:00Z", "2030-01-01T00:00:00Z")
    assert listed == [] and empty <= few


def test_occurrence_moved_past_the_series_end_is_still_listed_in_its_new_window(api, program):
    new_series(api, program)  # weekly from 2027-03-03, four times
    last = occurrences(api)[-1]
    moved = api("organizer").patch(f"/api/v1/occurrences/{last['id']}", json={
        "start": "2027-06-02T19:00:00-04:00", "end": "2027-06-02T20:30:00-04:00"})
    assert moved.status_code == 200, moved.json
    assert [o["id"] for o in occurrences(api, "2027-05-01T00:00:00Z", "2027-07-01T00:00:00Z")] == [last["id"]]
    assert last["id"] not in [o["id"] for o in occurrences(api, "2027-03-20T00:00:00Z", "2027-04-01T00:00:00Z")]


def test_occurrence_moved_before_the_series_start_is_listed_there(api, program):
    new_series(api, program)
    first = occurrences(api)[0]
    api("organizer").patch(f"/api/v1/occurrences/{first['id']}", json={"start": "2027-02-01T19:00:00-05:00"})
    assert [o["id"] for o in occurrences(api, "2027-01-25T00:00:00Z", "2027-02-10T00:00:00Z")] == [first["id"]]


def test_ended_and_split_series_are_listed_only_where_they_still_have_occurrences(api, program, clock):
    series = new_series(api, program, rrule="FREQ=WEEKLY;COUNT=20")
    assert api("organizer").post(f"/api/v1/series/{series['id']}/end", json={"on": "2027-03-20"}).status_code == 200
    assert [o["start"][:10] for o in occurrences(api)] == ["2027-03-03", "2027-03-10", "2027-03-17"]
    assert occurrences(api, "2027-04-01T00:00:00Z", "2027-08-01T00:00:00Z") == []


def test_upgrading_a_database_with_series_fills_their_spans(app, api, program):
    """Series written before the span columns existed are listed after the upgrade, moves included."""
    import flask_migrate

    from docbox_sessions import MIGRATIONS

    new_series(api, program)
    last = occurrences(api)[-1]
    api("organizer").patch(f"/api/v1/occurrences/{last['id']}", json={"start": "2027-06-02T19:00:00-04:00"})
    before = occurrences(api)
    with app.app_context():
        db.session.remove()
        flask_migrate.downgrade(directory=MIGRATIONS, revision="b5e2c0a9d871")
        flask_migrate.upgrade(directory=MIGRATIONS)
        db.session.remove()
    assert occurrences(api) == before
    assert [o["id"] for o in occurrences(api, "2027-05-01T00:00:00Z", "2027-07-01T00:00:00Z")] == [last["id"]]
