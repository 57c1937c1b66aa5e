"""A session's page finds its occurrence by reading that one entry, and finds the same one the program page lists."""

from datetime import date, datetime, timedelta, timezone

import pytest

from docbox_calendar_sync import operations
from docbox_shared import recurrence
from docbox_shared.problems import NotFound

UTC = timezone.utc
DAYS = 60


def _found(program_id: str, occurrence_id: str):
    try:
        return operations.upcoming_occurrence(program_id, occurrence_id, days=DAYS)
    except NotFound:
        return None


def _near(series: dict, moment: datetime) -> list[str]:
    """Ids of the series' rule dates within 100 days of ``moment`` (inside, before and after the window)."""
    lo, hi = moment - timedelta(days=100), moment + timedelta(days=100)
    return [recurrence.series_occurrence_id(series["id"], start.date()) for start in recurrence.rule_dates(series)
            if lo.replace(tzinfo=None) <= start <= hi.replace(tzinfo=None)]


@pytest.mark.parametrize("moment", [datetime(2031, 3, 1, 12, tzinfo=UTC),     # US on 9 March, EU on 30 March
                                    datetime(2031, 10, 10, 12, tzinfo=UTC),   # EU on 26 October, US on 2 November
                                    datetime(2035, 11, 20, 12, tzinfo=UTC)])  # the series' last weeks
def test_a_sessions_page_shows_what_the_program_page_lists_across_clock_changes_years_ahead(
        app, client, sessions, clock, moment):
    program = sessions.program(name="Evening circle", slug="evening", timezone="Europe/Berlin")
    other = sessions.program(name="Residents", slug="residents")
    tuesdays = sessions.series(program, "Tuesday circle", datetime(2026, 3, 3, 19, 0),
                               "FREQ=WEEKLY;BYDAY=TU;UNTIL=20351231T000000Z", minutes=90)
    tuesdays = sessions.exception(tuesdays, date(2031, 3, 4), status="cancelled")
    tuesdays = sessions.exception(tuesdays, date(2031, 6, 17), start=datetime(2031, 4, 2, 17, tzinfo=UTC),
                                  end=datetime(2031, 4, 2, 18, 30, tzinfo=UTC))      # moved into the window
    tuesdays = sessions.exception(tuesdays, date(2031, 3, 11), start=datetime(2031, 7, 1, 17, tzinfo=UTC),
                                  end=datetime(2031, 7, 1, 18, 30, tzinfo=UTC))      # moved out of it
    tuesdays = sessions.exception(tuesdays, date(2031, 3, 25), start=datetime(2031, 3, 30, 1, 30, tzinfo=UTC),
                                  end=datetime(2031, 3, 30, 3, tzinfo=UTC))          # onto the EU change
    # 02:30 on a Sunday: missing on spring-forward days, twice on the EU fall-back day.
    berlin_nights = sessions.series(program, "Night shift", datetime(2026, 3, 1, 2, 30),
                                    "FREQ=WEEKLY;BYDAY=SU;UNTIL=20351230T000000Z")
    new_york = sessions.series(program, "Night shift (NY)", datetime(2026, 3, 1, 2, 30),
                               "FREQ=WEEKLY;BYDAY=SU;UNTIL=20351230T000000Z", tz="America/New_York")
    elsewhere = sessions.series(other, "Residents' circle", datetime(2026, 3, 3, 19, 0),
                                "FREQ=WEEKLY;BYDAY=TU;UNTIL=20351231T000000Z")
    ongoing = sessions.session(program, "Started", moment - timedelta(minutes=30), moment + timedelta(minutes=30))
    over = sessions.session(program, "Over", moment - timedelta(hours=2), moment - timedelta(hours=1))
    too_far = sessions.session(program, "Too far", moment + timedelta(days=DAYS), moment + timedelta(days=DAYS, hours=1))
    looks_like_a_date = sessions.session(program, "Id like a series'", moment + timedelta(days=3),
                                         moment + timedelta(days=3, hours=1), entry_id="talk_20310330")
    clock.set(moment)
    ids = [*_near(tuesdays, moment), *_near(berlin_nights, moment), *_near(new_york, moment),
           *_near(elsewhere, moment), ongoing["id"], over["id"], too_far["id"], looks_like_a_date["id"],
           recurrence.series_occurrence_id(tuesdays["id"], date(2031, 6, 17)),
           recurrence.series_occurrence_id(tuesdays["id"], date(2031, 3, 12)), "nope_20310330", "talk"]
    with app.app_context():
        listed = {occ.id: occ for occ in operations.upcoming(program["id"], days=DAYS, limit=10_000)}
        assert listed and set(listed) <= set(ids)
        for occurrence_id in ids:
            assert _found(program["id"], occurrence_id) == listed.get(occurrence_id), occurrence_id
    for zone_name in ("Europe/Berlin", "America/New_York"):   # the window holds both sides of a change
        offsets = {occ.start.utcoffset() for occ in listed.values() if occ.timezone == zone_name}
        assert len(offsets) == (1 if moment.year == 2035 else 2), zone_name
    assert ongoing["id"] in listed and over["id"] not in listed and too_far["id"] not in listed
    if moment.month == 3:
        moved_in = listed[recurrence.series_occurrence_id(tuesdays["id"], date(2031, 6, 17))]
        assert moved_in.moved and moved_in.start == datetime(2031, 4, 2, 17, tzinfo=UTC)
        assert listed[recurrence.series_occurrence_id(tuesdays["id"], date(2031, 3, 4))].status == "cancelled"
        assert recurrence.series_occurrence_id(tuesdays["id"], date(2031, 3, 11)) not in listed
        page = client.get(f"/programs/evening/sessions/{recurrence.series_occurrence_id(tuesdays['id'], date(2031, 3, 25))}")
        assert page.status_code == 200 and "Sunday 30 March 2031" in page.get_data(as_text=True)
        assert client.get(f"/programs/residents/sessions/{_near(tuesdays, moment)[0]}").status_code == 404
