"""Attendance statistics, exact for organizers and the statistics release for viewers.

The attack on the release as a whole, through every answer a viewer can get,
is ``test_stats_attacker.py``; here the suppression is also checked table by
table against a second, exhaustive attacker, and the release's timing.

The suppression tests attack the published tables with an exhaustive solver
written here, independently of the service's interval reasoning: for every
withheld count from 1 to K-1 it lists the values consistent with everything
published, and fails if only one is left.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from functools import cache

import pytest

from docbox_sessions.stats import GROUPINGS
from docbox_shared.suppression import suppress

MEASURES = ("in_person", "virtual", "total")
K = 5
BOUND = 20  # the attacker also 'knows' every count is below this: a stronger attacker


def feasible_values(rows, totals, hidden_rows):
    """For each withheld cell (row, measure), the set of values consistent with the published table."""
    n = len(rows)

    def options(r):
        row = rows[r]
        result = []
        for ip in ([row["in_person"]] if row["in_person"] is not None else range(1, BOUND)):
            for v in ([row["virtual"]] if row["virtual"] is not None else range(1, BOUND)):
                t = ip + v
                if row["total"] is not None and t != row["total"]:
                    continue
                if row["total"] is None and t < 1:
                    continue
                result.append((ip, v))
        return result

    opts = [options(r) for r in range(n)]

    @cache
    def reachable(r, skip):
        """(sum_ip, sum_v) pairs reachable with rows r.. (except `skip`)."""
        if r == n:
            return frozenset({(0, 0)})
        if r == skip:
            return reachable(r + 1, skip)
        cap_ip = totals["in_person"] if totals["in_person"] is not None else BOUND * n
        cap_v = totals["virtual"] if totals["virtual"] is not None else BOUND * n
        return frozenset((ip + a, v + b) for ip, v in opts[r] for a, b in reachable(r + 1, skip)
                         if ip + a <= cap_ip and v + b <= cap_v)

    def total_ok(sip, sv):
        t = sip + sv
        return ((totals["in_person"] is None and sip >= 1 or totals["in_person"] == sip)
                and (totals["virtual"] is None and sv >= 1 or totals["virtual"] == sv)
                and (totals["total"] is None and t >= 1 or totals["total"] == t))

    result = {}
    for r in range(n):
        rest = reachable(0, r)
        for m in MEASURES:
            if rows[r][m] is not None:
                continue
            values = set()
            for ip, v in opts[r]:
                if any(total_ok(ip + a, v + b) for a, b in rest):
                    values.add({"in_person": ip, "virtual": v, "total": ip + v}[m])
            result[(r, m)] = values
    return result


def one_table(rows, totals):
    """A single table as the suppression sees it: numbers (row, measure), the totals row -1, as sums of unknowns."""
    parts = {"in_person": ("in_person",), "virtual": ("virtual",), "total": ("in_person", "virtual")}
    numbers = {(r, m): (row[m], frozenset((r, p) for p in parts[m])) for r, row in enumerate(rows) for m in MEASURES}
    numbers.update({(-1, m): (totals[m], frozenset((r, p) for r in range(len(rows)) for p in parts[m]))
                    for m in MEASURES})
    return numbers


def publish(rows, totals, k=K):
    hidden = suppress(one_table(rows, totals), k)
    shown = [{m: (None if (r, m) in hidden else row[m]) for m in MEASURES} for r, row in enumerate(rows)]
    shown_totals = {m: (None if (-1, m) in hidden else totals[m]) for m in MEASURES}
    return hidden, shown, shown_totals


def table(pairs):
    rows = [dict(in_person=a, virtual=b, total=a + b) for a, b in pairs]
    totals = {m: sum(r[m] for r in rows) for m in MEASURES}
    return rows, totals


CASES = [
    [(3, 10), (8, 7), (9, 0)],
    [(1, 0), (12, 9), (15, 11)],
    [(2, 2), (6, 6)],
    [(0, 4), (0, 9), (0, 12)],
    [(7, 1), (9, 8), (10, 6), (5, 5)],
    [(4, 0), (0, 0), (6, 0)],
]
random.seed(20261125)
CASES += [[(random.choice([0, 0, 1, 2, 3, 4, 5, 8, 13]), random.choice([0, 1, 2, 6, 9, 11]))
           for _ in range(random.randint(2, 5))] for _ in range(25)]


@pytest.mark.parametrize("pairs", CASES)
def test_no_small_count_can_be_recovered_from_published_numbers(pairs):
    rows, totals = table(pairs)
    hidden, shown, shown_totals = publish(rows, totals)
    small = {(r, m) for r, row in enumerate(rows) for m in MEASURES if 1 <= row[m] < K}
    assert small <= hidden, "every count from 1 to K-1 is withheld"
    values = feasible_values(shown, shown_totals, hidden)
    for cell in small:
        assert rows[cell[0]][cell[1]] in values[cell]
        assert len(values[cell]) >= 2, f"{cell} can be recovered: only {values[cell]} fit"


def test_zero_and_large_counts_are_published():
    rows, totals = table([(0, 12), (20, 30)])
    hidden, shown, _ = publish(rows, totals)
    assert hidden == set()
    assert shown[0]["in_person"] == 0


def _record(api, program, day, in_person, virtual, staff):
    created = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Circle", "format": "hybrid",
        "start": f"2026-{day}T19:00:00-05:00", "end": f"2026-{day}T20:00:00-05:00"}).json
    response = api(staff).put(f"/api/v1/occurrences/{created['id']}/attendance",
                              json={"in_person": in_person, "virtual": virtual})
    assert response.status_code == 200, response.json


@pytest.fixture
def year(api, program):
    _record(api, program, "10-07", 3, 10, "organizer")
    _record(api, program, "11-04", 8, 7, "organizer")
    _record(api, program, "11-18", 4, 5, "organizer")
    _record(api, program, "12-02", 9, 6, "organizer")
    return program


def test_organizer_sees_exact_monthly_numbers(api, year):
    stats = api("organizer").get("/api/v1/stats/attendance?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z").json
    assert stats["exact"] is True
    assert [(r["key"], r["sessions_held"], r["in_person"], r["virtual"], r["total"]) for r in stats["rows"]] == [
        ("2026-10", 1, 3, 10, 13), ("2026-11", 2, 12, 12, 24), ("2026-12", 1, 9, 6, 15)]
    assert (stats["totals"]["in_person"], stats["totals"]["total"]) == (24, 52)


def test_viewer_sees_suppressed_numbers(api, year):
    stats = api("viewer").get("/api/v1/stats/attendance?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z").json
    assert stats["exact"] is False and stats["min_cell"] == 5
    october = stats["rows"][0]
    assert october["in_person"] is None and "in_person" in october["withheld"]
    published = [r for r in stats["rows"] if r["in_person"] is not None]
    withheld = [r for r in stats["rows"] if r["in_person"] is None]
    assert len(withheld) >= 2 or stats["totals"]["in_person"] is None, "a lone withheld cell could be subtracted out"
    assert all(r["sessions_held"] >= 1 for r in stats["rows"])
    assert published or withheld


@pytest.mark.parametrize("group_by, keys", [
    ("quarter", ["2026-Q4"]), ("format", ["hybrid"]),
])
def test_grouping(api, year, group_by, keys):
    stats = api("organizer").get(f"/api/v1/stats/attendance?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&group_by={group_by}").json
    assert [r["key"] for r in stats["rows"]] == keys
    assert stats["rows"][0]["total"] == 52


def test_grouping_by_program_names_the_program(api, year):
    stats = api("organizer").get("/api/v1/stats/attendance?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z&group_by=program").json
    assert [(r["key"], r["label"]) for r in stats["rows"]] == [(year["id"], "Doc Box")]


def test_cancelled_and_future_occurrences_are_not_held(api, program):
    past = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "x", "format": "in_person",
        "start": "2027-01-05T19:00:00-05:00", "end": "2027-01-05T20:00:00-05:00"}).json
    api("organizer").post(f"/api/v1/occurrences/{past['id']}/cancel")
    api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "y", "format": "in_person",
        "start": "2027-01-20T19:00:00-05:00", "end": "2027-01-20T20:00:00-05:00"})
    stats = api("organizer").get("/api/v1/stats/attendance?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z").json
    assert stats["rows"] == [] and stats["totals"]["sessions_held"] == 0


VIEWER_Q4 = "/api/v1/stats/attendance?from=2026-10-01T00:00:00Z&to=2027-01-01T00:00:00Z"


def test_a_month_enters_the_release_only_once_its_counts_were_due(api, year, clock):
    clock.set(datetime(2027, 1, 7, 23, 59, tzinfo=timezone.utc))  # December ended, its 7 days of grace have not
    early = api("viewer").get(VIEWER_Q4).json
    assert early["released_through"] == "2026-11"
    assert [r["key"] for r in early["rows"]] == ["2026-10", "2026-11"], "December is not released yet"
    clock.set(datetime(2027, 1, 8, 0, 0, tzinfo=timezone.utc))
    due = api("viewer").get(VIEWER_Q4).json
    assert due["released_through"] == "2026-12"
    assert [r["key"] for r in due["rows"]] == ["2026-10", "2026-11", "2026-12"]
    assert [r["key"] for r in api("organizer").get(VIEWER_Q4).json["rows"]] == ["2026-10", "2026-11", "2026-12"]


def test_released_numbers_never_change_and_late_counts_reach_organizers_only(api, year):
    before = {g: api("viewer").get(f"{VIEWER_Q4}&group_by={g}").json for g in GROUPINGS}
    october = next(o for o in api("organizer").get(
        "/api/v1/occurrences?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z").json)
    assert api("organizer").put(f"/api/v1/occurrences/{october['id']}/attendance",
                                json={"in_person": 5, "virtual": 10}).status_code == 200
    _record(api, year, "12-16", 2, 0, "organizer")
    after = {g: api("viewer").get(f"{VIEWER_Q4}&group_by={g}").json for g in GROUPINGS}
    assert after == before
    exact = api("organizer").get(VIEWER_Q4).json
    assert [(r["key"], r["in_person"], r["total"]) for r in exact["rows"]] == [
        ("2026-10", 5, 15), ("2026-11", 12, 24), ("2026-12", 11, 17)]


def test_a_window_snaps_to_whole_months_read_in_its_own_offset(api, year):
    stats = api("viewer").get("/api/v1/stats/attendance?from=2026-11-20T23:30:00-05:00"
                              "&to=2026-12-01T00:00:00.000001-05:00").json
    assert (stats["first_month"], stats["last_month"]) == ("2026-11", "2026-12")
    assert [r["key"] for r in stats["rows"]] == ["2026-11", "2026-12"]
    assert api("viewer").get("/api/v1/stats/attendance?from=2026-11-20T00:00:00Z&to=2026-11-01T00:00:00Z").status_code == 422


def test_a_viewers_window_across_new_year_reads_both_years_of_the_release(api, year, clock):
    """The release is read by the years a window spans: November to January gets both years' months."""
    january = api("organizer").post("/api/v1/sessions", json={
        "program_id": year["id"], "title": "Circle", "format": "hybrid",
        "start": "2027-01-13T19:00:00-05:00", "end": "2027-01-13T20:00:00-05:00"}).json
    assert api("organizer").put(f"/api/v1/occurrences/{january['id']}/attendance",
                                json={"in_person": 7, "virtual": 8}).status_code == 200
    clock.set(datetime(2027, 2, 8, 0, 0, tzinfo=timezone.utc))  # January's 7 days of grace have passed
    stats = api("viewer").get("/api/v1/stats/attendance?from=2026-11-01T00:00:00Z&to=2027-02-01T00:00:00Z").json
    assert stats["released_through"] == "2027-01"
    assert [(r["key"], r["sessions_held"]) for r in stats["rows"]] == [("2026-11", 2), ("2026-12", 1), ("2027-01", 1)]
    assert stats["totals"]["sessions_held"] == 4 and stats["rows"][-1]["total"] == 15


def test_the_release_command_releases_what_is_due_and_viewers_read_it(app, api, year):
    out = app.test_cli_runner().invoke(args=["stats", "release"])
    assert out.exit_code == 0 and "Released through 2026-12." in out.output, out.output
    assert api("viewer").get(VIEWER_Q4).json["released_through"] == "2026-12"


def test_the_relay_releases_due_months_so_the_first_viewer_only_reads(app, api, year, clock):
    """The relay process releases a month as it falls due; the first viewer afterwards releases nothing
    (it is as quick as every later one) and reads the same numbers a read-time release would give."""
    from sqlalchemy import event

    from docbox_sessions.models import db

    clock.set(datetime(2027, 1, 7, 23, 59, tzinfo=timezone.utc))
    assert app.test_cli_runner().invoke(args=["relay", "--once"]).exit_code == 0
    assert api("viewer").get(VIEWER_Q4).json["released_through"] == "2026-11"
    clock.set(datetime(2027, 1, 8, 0, 0, tzinfo=timezone.utc))   # December falls due
    out = app.test_cli_runner().invoke(args=["relay", "--once"])
    assert out.exit_code == 0, out.output
    written = []
    with app.app_context():
        engine = db.engine
    listener = lambda _c, _cur, statement, *_a: written.append(statement) if "INSERT INTO released" in statement \
        else None  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        first = api("viewer").get(VIEWER_Q4).json
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert first["released_through"] == "2026-12" and not written, written
    assert [r["key"] for r in first["rows"]] == ["2026-10", "2026-11", "2026-12"]
    assert api("viewer").get(VIEWER_Q4).json == first
