"""Statistics keep answering as the department's history grows: more held occurrences in a window than
PostgreSQL accepts parameters in one statement (65,535) still give the numbers, not a 503 "database not
reachable". Rows are written straight into the tables (the API would take minutes for 70,000 occurrences), the
stored occurrences (docbox_sessions.held) as the service writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from docbox_sessions import derived, held
from docbox_sessions.models import AttendanceCount, HeldOccurrence, Series, SeriesException, db
from docbox_sessions.operations import series_span

UTC = timezone.utc
SERIES = 190  # daily over 2027: 69,350 held occurrences
AT = datetime(2026, 12, 1, tzinfo=UTC)


def fill(app, program_id: str) -> tuple[str, str]:
    """Daily series over 2027 with a few counts; returns the ids of the first series and of the moved one."""
    rows, occurrences = [], []
    for i in range(SERIES):
        state = {"id": f"{i:032x}", "timezone": "America/New_York", "start_local": datetime(2027, 1, 1, 8 + i % 10),
                 "duration_minutes": 60, "rrule": "FREQ=DAILY;COUNT=365", "exceptions": []}
        if i == 1:  # its 2027-06-01 occurrence moved to 2027-02-26, months away from its rule date
            start = datetime(2027, 2, 26, 14, tzinfo=UTC)
            state["exceptions"] = [{"date": datetime(2027, 6, 1).date(), "start": start, "end": start + timedelta(hours=1),
                                    "status": "scheduled"}]
        span_start, span_end = series_span(state)
        entry = {**state, "program_id": program_id, "title": "", "format": "hybrid"}
        occurrences += held.rows(derived.occurrences("series", entry, (span_start, span_end)))
        rows.append(dict(id=state["id"], program_id=program_id, title=f"Circle {i}", description="", format="hybrid",
                         location="Room 4", video_url="https://meet.example.org/c", timezone=state["timezone"],
                         capacity=None, version=1, created_at=AT, updated_at=AT, start_local=state["start_local"],
                         duration_minutes=60, rrule=state["rrule"], continues_series_id=None,
                         span_start_at=span_start, span_end_at=span_end))
    with app.app_context():
        db.session.execute(insert(Series), rows)
        db.session.execute(insert(HeldOccurrence), occurrences)
        start = datetime(2027, 2, 26, 14, tzinfo=UTC)
        db.session.execute(insert(SeriesException), [dict(series_id=rows[1]["id"], date=datetime(2027, 6, 1).date(),
                                                          status="scheduled", start_at=start, end_at=start + timedelta(hours=1),
                                                          updated_at=AT)])
        db.session.execute(insert(AttendanceCount), [
            dict(occurrence_id=f"{rows[0]['id']}_20270105", in_person=3, virtual=4, recorded_at=AT),
            dict(occurrence_id=f"{rows[0]['id']}_20270301", in_person=2, virtual=0, recorded_at=AT),
            dict(occurrence_id=f"{rows[1]['id']}_20270601", in_person=5, virtual=1, recorded_at=AT)])
        db.session.commit()
    return rows[0]["id"], rows[1]["id"]


def test_statistics_over_more_held_occurrences_than_a_statement_takes_parameters_answer(app, api, program, clock):
    fill(app, program["id"])
    clock.set(datetime(2028, 3, 1, tzinfo=UTC))
    answer = api("organizer").get("/api/v1/stats/attendance?from=2027-01-01T00:00:00Z&to=2028-01-01T00:00:00Z"
                                  "&group_by=month")
    assert answer.status_code == 200, answer.json
    by_month = {row["key"]: row for row in answer.json["rows"]}
    assert answer.json["totals"]["sessions_held"] == SERIES * 365
    assert (by_month["2027-01"]["sessions_counted"], by_month["2027-01"]["in_person"], by_month["2027-01"]["virtual"]) \
        == (1, 3, 4)
    # the moved occurrence counts in February, where it was held; the other March count stays in March
    assert (by_month["2027-02"]["sessions_counted"], by_month["2027-02"]["total"]) == (1, 6)
    assert (by_month["2027-03"]["sessions_counted"], by_month["2027-03"]["total"]) == (1, 2)
    assert (by_month["2027-06"]["sessions_counted"], by_month["2027-06"]["sessions_held"]) == (0, SERIES * 30 - 1)
    february = api("organizer").get("/api/v1/stats/attendance?from=2027-02-01T00:00:00Z&to=2027-03-01T00:00:00Z")
    assert (february.json["totals"]["sessions_counted"], february.json["totals"]["total"]) == (1, 6)
