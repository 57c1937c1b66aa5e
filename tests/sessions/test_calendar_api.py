"""Programs, one-off sessions, series and occurrences through the API."""

from __future__ import annotations

import re

import pytest

WEEKLY = {"title": "Doc Box weekly", "format": "in_person", "start": "2027-03-03T19:00:00-05:00",
          "duration_minutes": 90, "rrule": "FREQ=WEEKLY;COUNT=4"}


def new_series(api, program, **changes):
    response = api("organizer").post("/api/v1/series", json={"program_id": program["id"], **WEEKLY, **changes})
    assert response.status_code == 201, response.json
    return response.json


def occurrences(api, start="2027-01-01T00:00:00Z", end="2028-01-01T00:00:00Z", role="organizer"):
    response = api(role).get(f"/api/v1/occurrences?from={start}&to={end}")
    assert response.status_code == 200, response.json
    return response.json


def test_weekly_series_stays_at_seven_pm_across_daylight_saving(api, program):
    new_series(api, program)
    starts = [o["start"] for o in occurrences(api)]
    assert starts == ["2027-03-03T19:00:00-05:00", "2027-03-10T19:00:00-05:00",
                      "2027-03-17T19:00:00-04:00", "2027-03-24T19:00:00-04:00"]
    assert all(o["timezone"] == "America/New_York" for o in occurrences(api))


def test_series_takes_program_defaults_for_place(api, program):
    series = new_series(api, program, format="hybrid")
    assert series["location"] == "ED conference room 2"
    assert series["video_url"] == "https://meet.example.org/docbox"


def test_a_new_format_takes_the_program_defaults_and_drops_the_place_it_no_longer_needs(api, program):
    organizer = api("organizer")
    session = organizer.post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Intake", "format": "in_person", "location": "Room 9",
        "start": "2027-03-04T19:00:00-05:00", "end": "2027-03-04T20:00:00-05:00"})
    assert session.status_code == 201, session.json
    series = new_series(api, program, location="Room 9")
    for path in (f"/api/v1/sessions/{session.json['id']}", f"/api/v1/series/{series['id']}"):
        virtual = organizer.patch(path, json={"format": "virtual"})
        assert virtual.status_code == 200, virtual.json
        assert (virtual.json["location"], virtual.json["video_url"]) == (None, "https://meet.example.org/docbox")
        hybrid = organizer.patch(path, json={"format": "hybrid"})
        assert hybrid.status_code == 200, hybrid.json
        assert (hybrid.json["location"], hybrid.json["video_url"]) == ("ED conference room 2",
                                                                       "https://meet.example.org/docbox")


@pytest.mark.parametrize("rule, expected", [
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=3", ["2027-03-03", "2027-03-17", "2027-03-31"]),
    ("FREQ=MONTHLY;BYDAY=3WE;COUNT=3", ["2027-03-17", "2027-04-21", "2027-05-19"]),
    ("FREQ=MONTHLY;BYMONTHDAY=17;UNTIL=20270520", ["2027-03-17", "2027-04-17", "2027-05-17"]),
])
def test_rules_people_use(api, program, rule, expected):
    first = expected[0]
    new_series(api, program, rrule=rule, start=f"{first}T19:00:00")
    assert [o["start"][:10] for o in occurrences(api)] == expected


def test_moved_occurrence_keeps_its_id_and_moves(api, program):
    new_series(api, program)
    third = occurrences(api)[2]
    moved = api("organizer").patch(f"/api/v1/occurrences/{third['id']}", json={
        "start": "2027-03-18T18:00:00-04:00", "location": "Library, room 4"})
    assert moved.status_code == 200, moved.json
    listed = {o["id"]: o for o in occurrences(api)}
    assert listed[third["id"]]["start"] == "2027-03-18T18:00:00-04:00"
    assert listed[third["id"]]["end"] == "2027-03-18T19:30:00-04:00"
    assert listed[third["id"]]["location"] == "Library, room 4"
    assert listed[third["id"]]["moved"] is True
    assert api("organizer").get(f"/api/v1/occurrences/{third['id']}").json["start"] == "2027-03-18T18:00:00-04:00"


def test_cancelled_occurrence_stays_listed_as_cancelled(api, program):
    new_series(api, program)
    second = occurrences(api)[1]
    assert api("organizer").post(f"/api/v1/occurrences/{second['id']}/cancel").status_code == 200
    statuses = [o["status"] for o in occurrences(api)]
    assert statuses == ["scheduled", "cancelled", "scheduled", "scheduled"]
    again = api("organizer").post(f"/api/v1/occurrences/{second['id']}/cancel")
    assert again.status_code == 200 and again.json["status"] == "cancelled"
    assert api("organizer").patch(f"/api/v1/occurrences/{second['id']}",
                                  json={"location": "elsewhere"}).status_code == 409


def test_ending_a_series_removes_later_occurrences(api, program):
    series = new_series(api, program)
    ended = api("organizer").post(f"/api/v1/series/{series['id']}/end", json={"on": "2027-03-17"})
    assert ended.status_code == 200, ended.json
    assert [o["start"][:10] for o in occurrences(api)] == ["2027-03-03", "2027-03-10"]


def test_cancelling_a_one_off_session(api, program):
    created = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "After a lawsuit", "format": "virtual",
        "start": "2027-02-01T17:30:00-05:00", "end": "2027-02-01T19:00:00-05:00"})
    assert created.status_code == 201, created.json
    assert created.json["video_url"] == "https://meet.example.org/docbox"
    assert created.json["location"] is None
    cancelled = api("organizer").post(f"/api/v1/occurrences/{created.json['id']}/cancel")
    assert cancelled.json["status"] == "cancelled"
    assert [o["status"] for o in occurrences(api)] == ["cancelled"]


def test_editing_an_unstarted_series_changes_it_in_place(api, program):
    series = new_series(api, program)
    edited = api("organizer").patch(f"/api/v1/series/{series['id']}", json={"title": "Doc Box circle"})
    assert edited.status_code == 200
    assert edited.json["id"] == series["id"] and edited.json["version"] == 2
    assert {o["title"] for o in occurrences(api)} == {"Doc Box circle"}


def test_editing_a_running_series_changes_only_future_occurrences(api, program, clock):
    series = new_series(api, program)
    past_ids = [o["id"] for o in occurrences(api)[:2]]
    clock.set(clock.moment.replace(month=3, day=12))
    cancelled_future = occurrences(api)[3]["id"]
    api("organizer").post(f"/api/v1/occurrences/{cancelled_future}/cancel")
    edited = api("organizer").patch(f"/api/v1/series/{series['id']}", json={
        "title": "Doc Box, new time", "start": "2027-03-17T18:00:00-04:00"})
    assert edited.status_code == 200, edited.json
    assert edited.json["continues_series_id"] == series["id"]
    listed = occurrences(api)
    assert [o["id"] for o in listed[:2]] == past_ids
    assert [(o["title"], o["start"]) for o in listed] == [
        ("Doc Box weekly", "2027-03-03T19:00:00-05:00"), ("Doc Box weekly", "2027-03-10T19:00:00-05:00"),
        ("Doc Box, new time", "2027-03-17T18:00:00-04:00"), ("Doc Box, new time", "2027-03-24T18:00:00-04:00")]
    assert listed[3]["status"] == "cancelled", "a cancellation in the edited part is kept"


def test_occurrence_ids_survive_edits_to_other_occurrences(api, program):
    new_series(api, program)
    before = [o["id"] for o in occurrences(api)]
    api("organizer").patch(f"/api/v1/occurrences/{before[0]}", json={"start": "2027-03-04T19:00:00-05:00"})
    api("organizer").post(f"/api/v1/occurrences/{before[2]}/cancel")
    assert sorted(o["id"] for o in occurrences(api)) == sorted(before)


def test_occurrences_filter_by_program(api, program):
    other = api("organizer").post("/api/v1/programs", json={"name": "Residents", "timezone": "Europe/Berlin"}).json
    new_series(api, program)
    new_series(api, other, start="2027-03-03T19:00:00", format="virtual", video_url="https://v.example.org/r")
    only = api("organizer").get(f"/api/v1/occurrences?from=2027-01-01T00:00:00Z&to=2028-01-01T00:00:00Z&program={other['id']}").json
    assert len(only) == 4 and {o["program_id"] for o in only} == {other["id"]}
    assert only[0]["start"] == "2027-03-03T19:00:00+01:00"


def test_unknown_occurrence_is_404_problem(api, program):
    series = new_series(api, program)
    for bad in (f"{series['id']}_20270304", "nope", f"{series['id']}_20279999"):
        response = api("organizer").get(f"/api/v1/occurrences/{bad}")
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"


def test_program_changes_are_versioned(api, program):
    changed = api("organizer").patch(f"/api/v1/programs/{program['id']}", json={"open": False})
    assert changed.status_code == 200 and changed.json["version"] == 2 and changed.json["open"] is False
    same = api("organizer").patch(f"/api/v1/programs/{program['id']}", json={"open": False})
    assert same.json["version"] == 2, "a change that changes nothing is not a new version"


@pytest.mark.parametrize("role, method, url, body, expected", [
    (None, "get", "/api/v1/programs", None, 401),
    ("viewer", "post", "/api/v1/programs", {"name": "X", "timezone": "UTC"}, 403),
    ("facilitator", "post", "/api/v1/programs", {"name": "X", "timezone": "UTC"}, 403),
    ("admin", "post", "/api/v1/programs", {"name": "X", "timezone": "UTC"}, 201),
    ("viewer", "get", "/api/v1/programs", None, 200),
    ("facilitator", "get", "/api/v1/staff", None, 403),
    ("organizer", "get", "/api/v1/outbox", None, 403),
    ("admin", "get", "/api/v1/outbox", None, 200),
    ("viewer", "get", "/api/v1/occurrences", None, 200),
])
def test_roles(api, role, method, url, body, expected):
    kwargs = {"json": body} if body is not None else {}
    response = getattr(api(role), method)(url, **kwargs)
    assert response.status_code == expected, response.json
    if expected >= 400:
        assert response.content_type == "application/problem+json"


def test_bad_token_is_401(client):
    response = client.get("/api/v1/programs", headers={"Authorization": "Bearer dbx_not-a-token"})
    assert response.status_code == 401 and response.json["type"] == "urn:docbox:problem:unauthorized"


def test_revoked_token_stops_working(app, api):
    assert api("viewer").get("/api/v1/me").json["role"] == "viewer"
    result = app.test_cli_runner().invoke(args=["staff", "revoke-tokens", "viewer@example.org"])
    assert result.exit_code == 0
    assert api("viewer").get("/api/v1/me").status_code == 401


def test_admin_adds_staff_and_gets_token_once(api, client):
    created = api("admin").post("/api/v1/staff", json={"email": "New@Example.org", "role": "facilitator"})
    assert created.status_code == 201 and created.json["email"] == "new@example.org"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created.json['token']}"})
    assert me.json["role"] == "facilitator"
    listed = api("admin").get("/api/v1/staff").json
    assert all("token" not in s for s in listed)


def test_openapi_document_lists_every_operation(client):
    spec = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/programs", "/api/v1/sessions", "/api/v1/series/{series_id}", "/api/v1/occurrences",
                 "/api/v1/occurrences/{occurrence_id}/cancel", "/api/v1/occurrences/{occurrence_id}/attendance",
                 "/api/v1/stats/attendance", "/api/v1/outbox"):
        assert path in spec["paths"]


def test_health_and_readiness(client):
    assert client.get("/healthz").json["status"] == "ok"
    assert client.get("/readyz").json["status"] == "ready"


def test_metrics_count_requests_by_route_and_show_the_outbox(app, api, program, client):
    app.config["EVENT_SUBSCRIBERS"] = ["http://127.0.0.1:9/api/v1/events"]
    api("organizer").patch(f"/api/v1/programs/{program['id']}", json={"name": "Renamed"})
    api("organizer").get("/api/v1/programs")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'docbox_http_requests_total{method="GET",route="/api/v1/programs",service="sessions",status="200"} 1.0' in text
    assert "docbox_outbox_pending 1.0" in text


def test_reading_entries_back(api, program, staff_id):
    series = new_series(api, program, facilitator_ids=[staff_id("facilitator")])
    session = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "One-off", "format": "in_person", "capacity": 12,
        "start": "2027-02-01T17:30:00-05:00", "end": "2027-02-01T19:00:00-05:00"}).json
    assert api("viewer").get(f"/api/v1/series/{series['id']}").json["rrule"] == "FREQ=WEEKLY;COUNT=4"
    assert api("viewer").get(f"/api/v1/series/{series['id']}").json["facilitator_ids"] == [staff_id("facilitator")]
    assert [s["id"] for s in api("facilitator").get("/api/v1/series").json] == [series["id"]]
    assert api("viewer").get(f"/api/v1/sessions/{session['id']}").json["capacity"] == 12
    assert [s["start"] for s in api("facilitator").get("/api/v1/sessions").json] == ["2027-02-01T17:30:00-05:00"]
    assert api("viewer").get(f"/api/v1/programs/{program['id']}").json["slug"] == "doc-box"
    assert api("viewer").get("/api/v1/sessions/nope").status_code == 404
    assert api("viewer").get("/api/v1/series/nope").status_code == 404


def test_demo_seed_plans_the_three_kinds_of_entry(app, clock):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["seed-demo"])
    assert out.exit_code == 0
    lines = out.output.strip().splitlines()[1:]  # under a header line
    assert [line.split()[0] for line in lines] == ["admin", "organizer", "facilitator", "viewer", "coordinator", "mentor",
                                                  "referrer", "supporter"]
    organizer_token = lines[1].split()[-1]
    organizer_password = lines[1].split()[2]
    browser = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").get_data(as_text=True)).group(1)
    signed_in = browser.post("/login", data={"email": "organizer@docbox.example", "password": organizer_password,
                                             "csrf_token": csrf})
    assert signed_in.status_code in (200, 302, 303) and "docbox_staff" in signed_in.headers.get("Set-Cookie", "")
    client = app.test_client()
    listed = client.get("/api/v1/occurrences?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z",
                        headers={"Authorization": f"Bearer {organizer_token}"}).json
    assert {o["format"] for o in listed} == {"in_person", "virtual", "hybrid"}
    assert "nothing seeded" in runner.invoke(args=["seed-demo"]).output, "a second start seeds nothing"


def test_demo_seed_has_a_counted_past_year_so_statistics_show_something(app, clock):
    """On a first `make run` the organizer sees a year of held sessions, and the viewer sees
    some of them withheld (small counts) rather than an empty page."""
    lines = app.test_cli_runner().invoke(args=["seed-demo"]).output.strip().splitlines()[1:]
    tokens = {line.split()[0]: line.split()[-1] for line in lines}
    client = app.test_client()

    def stats(role):
        answer = client.get("/api/v1/stats/attendance?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z",
                            headers={"Authorization": f"Bearer {tokens[role]}"})
        assert answer.status_code == 200, answer.json
        return answer.json

    exact = stats("organizer")
    held = [row for row in exact["rows"] if row["sessions_held"]]
    assert len(held) == 12, "every month of the year behind had sessions"
    assert all((row["in_person"] or 0) + (row["virtual"] or 0) > 0 for row in held), "and each has its counts"
    released = stats("viewer")
    assert any(row["withheld"] for row in released["rows"]), "small counts are withheld from the viewer"


def test_editing_a_one_off_session(api, program, staff_id):
    session = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Circle", "format": "in_person",
        "start": "2027-02-01T17:30:00-05:00", "end": "2027-02-01T19:00:00-05:00"}).json
    edited = api("organizer").patch(f"/api/v1/sessions/{session['id']}", json={
        "title": "Circle after a lawsuit", "format": "hybrid", "facilitator_ids": [staff_id("facilitator")]})
    assert edited.status_code == 200, edited.json
    assert (edited.json["title"], edited.json["video_url"], edited.json["version"]) == (
        "Circle after a lawsuit", "https://meet.example.org/docbox", 2)
    occurrence = api("viewer").get(f"/api/v1/occurrences/{session['id']}").json
    assert (occurrence["title"], occurrence["format"]) == ("Circle after a lawsuit", "hybrid")
    assert api("viewer").patch(f"/api/v1/sessions/{session['id']}", json={"title": "x"}).status_code == 403
    bad = api("organizer").patch(f"/api/v1/sessions/{session['id']}", json={"format": "virtual", "video_url": "http://x"})
    assert bad.status_code == 422 and "video_url" in bad.json["errors"]


def test_a_session_lasts_what_the_organizer_entered_on_clock_change_days(api, program):
    """Length is elapsed time: sixty minutes on the fall-back night too; a skipped start moves forward."""
    new_series(api, program, start="2027-10-31T01:30:00-04:00", duration_minutes=60, rrule="FREQ=WEEKLY;COUNT=2")
    new_series(api, program, start="2028-03-05T02:30:00-05:00", duration_minutes=60, rrule="FREQ=WEEKLY;COUNT=2")
    listed = occurrences(api, "2027-10-01T00:00:00Z", "2028-04-01T00:00:00Z")
    assert [(o["start"], o["end"]) for o in listed] == [
        ("2027-10-31T01:30:00-04:00", "2027-10-31T02:30:00-04:00"),
        ("2027-11-07T01:30:00-04:00", "2027-11-07T01:30:00-05:00"),  # the first 01:30, and an hour later the second
        ("2028-03-05T02:30:00-05:00", "2028-03-05T03:30:00-05:00"),
        ("2028-03-12T03:30:00-04:00", "2028-03-12T04:30:00-04:00"),  # 02:30 does not exist: read as 02:30 EST
    ]


def test_a_cancelled_occurrence_ahead_is_restored_and_the_change_is_published(api, program, app, clock):
    """Restore undoes a cancellation (a one-off and one of a series, a moved one keeping its move);
    each restore publishes a new version; a passed one is refused with 409 and stays cancelled."""
    from datetime import datetime, timezone

    from docbox_sessions.models import OutboxEvent, db

    session = api("organizer").post("/api/v1/sessions", json={
        "program_id": program["id"], "title": "Circle", "format": "in_person",
        "start": "2027-02-01T17:30:00-05:00", "end": "2027-02-01T19:00:00-05:00"}).json
    series = new_series(api, program, start="2027-02-02T19:00:00-05:00", rrule="FREQ=WEEKLY;COUNT=3")
    moved_id = f"{series['id']}_20270209"
    assert api("organizer").patch(f"/api/v1/occurrences/{moved_id}", json={
        "start": "2027-02-10T19:00:00-05:00", "end": "2027-02-10T20:00:00-05:00"}).status_code == 200
    for occurrence_id in (session["id"], moved_id):
        assert api("organizer").post(f"/api/v1/occurrences/{occurrence_id}/cancel").json["status"] == "cancelled"
    assert api("viewer").post(f"/api/v1/occurrences/{moved_id}/restore").status_code == 403
    with app.app_context():
        before = db.session.query(OutboxEvent).count()
    restored = [api("organizer").post(f"/api/v1/occurrences/{i}/restore") for i in (session["id"], moved_id)]
    assert [r.status_code for r in restored] == [200, 200]
    assert [(r.json["status"], r.json["start"]) for r in restored] == [
        ("scheduled", "2027-02-01T17:30:00-05:00"), ("scheduled", "2027-02-10T19:00:00-05:00")]
    with app.app_context():
        assert db.session.query(OutboxEvent).count() == before + 2, "each restore is published"
    api("organizer").post(f"/api/v1/occurrences/{series['id']}_20270216/cancel")
    clock.set(datetime(2027, 2, 17, tzinfo=timezone.utc))
    passed = api("organizer").post(f"/api/v1/occurrences/{series['id']}_20270216/restore")
    assert passed.status_code == 409 and passed.headers["Content-Type"] == "application/problem+json"
    assert api("viewer").get(f"/api/v1/occurrences/{series['id']}_20270216").json["status"] == "cancelled"
