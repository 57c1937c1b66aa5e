"""CalDAV push against real Radicale and Xandikos servers started by the fixtures.

After every scenario the server must hold exactly Doc Box's calendar: the
occurrences the sessions service lists, expanded here from what the server
stores with recurring-ical-events.
"""

import re
from datetime import date, datetime, timedelta, timezone

import icalendar
import recurring_ical_events

from docbox_calendar_sync.models import CaldavTarget, db

from .conftest import ADMIN, ORGANIZER
from .test_parity import WINDOW, listed_by_sessions

UTC = timezone.utc


def register(client, server, programs, password=None):
    answer = client.post("/api/v1/caldav-targets", headers=ADMIN, json={
        "name": f"Department calendar on {server.name}", "server_url": server.base,
        "calendar_url": server.calendar_url, "username": server.username,
        "password": password or server.password, "programs": [p["id"] for p in programs]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def work(runner) -> dict:
    """One worker pass, through the real CLI command; returns its counters."""
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", result.output)}


def status(client, target) -> dict:
    return client.get(f"/api/v1/caldav-targets/{target['id']}", headers=ADMIN).get_json()["status"]


def held_by(server) -> list[dict]:
    found = []
    for name, text in server.objects().items():
        cal = icalendar.Calendar.from_ical(text)
        uids = {str(e["UID"]) for e in cal.walk("VEVENT")}
        assert uids == {name[:-4]}, "one entry per resource, named after its UID"
        for event in recurring_ical_events.of(cal).between(*WINDOW):
            found.append({"uid": str(event["UID"]), "start": event.decoded("DTSTART").astimezone(UTC),
                          "end": event.decoded("DTEND").astimezone(UTC), "summary": str(event["SUMMARY"]),
                          "location": str(event["LOCATION"]) if "LOCATION" in event else None,
                          "status": str(event["STATUS"])})
    return sorted(found, key=lambda o: (o["start"], o["uid"]))


def holds_exactly_doc_box(server, sessions, programs=None) -> bool:
    expected = listed_by_sessions(sessions, hide_cancelled=False)
    if programs is not None:
        ids = {sessions.states[(k, e)]["id"] for (k, e), s in sessions.states.items()
               if k != "program" and s["program_id"] in {p["id"] for p in programs}}
        expected = [o for o in expected if o["uid"].split("-", 2)[2] in ids]
    return held_by(server) == expected


def build(sessions):
    program = sessions.program(name="Peer support")
    series = sessions.series(program, "Evening circle, all welcome", datetime(2026, 3, 3, 19, 0),
                             "FREQ=WEEKLY;COUNT=6")
    one_off = sessions.session(program, "Grand rounds", datetime(2026, 3, 5, 17, tzinfo=UTC),
                               datetime(2026, 3, 5, 18, tzinfo=UTC))
    return program, series, one_off


def test_new_target_gets_whole_calendar_then_one_request_per_change(client, runner, sessions, caldav_server):
    program, series, one_off = build(sessions)
    target = register(client, caldav_server, [program])
    assert status(client, target)["pending_changes"] == 2
    first = work(runner)
    assert first["pushed"] == 2 and first["failed"] == 0
    assert holds_exactly_doc_box(caldav_server, sessions)
    shown = status(client, target)
    assert shown["pending_changes"] == 0 and shown["last_success_at"] and shown["conflicts"] == 0
    sessions.change("session", one_off, title="Grand rounds (moved)", start=datetime(2026, 3, 6, 17, tzinfo=UTC),
                    end=datetime(2026, 3, 6, 18, tzinfo=UTC))
    assert work(runner) == {"pushed": 1, "failed": 0, "conflicts": 0, "requests": 1}
    assert holds_exactly_doc_box(caldav_server, sessions)
    assert work(runner)["requests"] == 0  # nothing changed, nothing sent


def test_many_entries_and_many_changes_arrive_whole_with_one_write_each(client, runner, sessions, caldav_server):
    # More entries than writes in flight: Radicale takes them at once. Xandikos answers
    # 423 Locked to a replacement while it commits another: the write is retried (one more
    # request) and the worker sends one at a time to that target from then on, so the
    # next round of changes costs one request each again.
    program = sessions.program(name="Peer support")
    entries = []
    for i in range(12):
        start = datetime(2026, 3, 2, 8, tzinfo=UTC) + timedelta(days=i)
        entries.append(sessions.session(program, f"Grand rounds {i}", start, start + timedelta(hours=1)))
    target = register(client, caldav_server, [program])
    for round_, requests in enumerate((13, 12, 12)):  # the first pass adds the first reconciliation's PROPFIND
        report = work(runner)
        assert report | {"requests": None} == {"pushed": 12, "failed": 0, "conflicts": 0, "requests": None}
        if caldav_server.name == "radicale" or round_ == 2:
            assert report["requests"] == requests
        assert holds_exactly_doc_box(caldav_server, sessions)
        assert status(client, target)["pending_changes"] == 0
        entries = [sessions.change("session", entry, title=entry["title"] + f", renamed {round_}")
                   for entry in entries]


def test_reconciliation_of_an_untouched_calendar_costs_one_request_and_finds_nothing(
        client, runner, sessions, caldav_server, clock):
    program, series, one_off = build(sessions)
    target = register(client, caldav_server, [program])
    work(runner)
    clock.advance(hours=2)
    assert work(runner) == {"pushed": 0, "failed": 0, "conflicts": 0, "requests": 1}
    assert status(client, target)["conflicts"] == 0


def test_narrowing_a_targets_programs_removes_their_entries(client, runner, sessions, caldav_server):
    program, series, one_off = build(sessions)
    other = sessions.program(name="Second program")
    elsewhere = sessions.session(other, "In the second program", datetime(2026, 3, 9, 9, tzinfo=UTC),
                                 datetime(2026, 3, 9, 10, tzinfo=UTC))
    target = register(client, caldav_server, [program, other])
    work(runner)
    assert len(caldav_server.objects()) == 3
    answer = client.patch(f"/api/v1/caldav-targets/{target['id']}", headers=ADMIN, json={"programs": [other["slug"]]})
    assert answer.status_code == 200 and answer.get_json()["programs"] == [other["id"]]
    assert work(runner)["pushed"] == 2
    assert list(caldav_server.objects()) == [f"docbox-session-{elsewhere['id']}.ics"]


def test_series_edits_moves_cancellations_and_end_reach_the_server(client, runner, sessions, caldav_server):
    program, series, one_off = build(sessions)
    register(client, caldav_server, [program])
    work(runner)
    series = sessions.change("series", series, title="Evening circle; renamed", location="Room 12")
    series = sessions.exception(series, date(2026, 3, 10), start=datetime(2026, 3, 11, 18, tzinfo=UTC),
                                end=datetime(2026, 3, 11, 19, tzinfo=UTC))
    series = sessions.exception(series, date(2026, 3, 17), status="cancelled")
    sessions.change("session", one_off, status="cancelled")
    assert work(runner)["pushed"] == 2
    assert holds_exactly_doc_box(caldav_server, sessions)
    from docbox_shared import recurrence
    sessions.change("series", series, rrule=recurrence.end_rule_before(series["rrule"], series["start_local"],
                                                                       series["timezone"], date(2026, 3, 20)))
    work(runner)
    assert holds_exactly_doc_box(caldav_server, sessions)
    assert len([o for o in held_by(caldav_server) if "circle" in o["summary"]]) == 3


def test_remote_edit_is_overwritten_and_recorded_as_conflict(client, runner, sessions, caldav_server):
    program, series, one_off = build(sessions)
    target = register(client, caldav_server, [program])
    work(runner)
    http = caldav_server.http()
    name = f"docbox-session-{one_off['id']}.ics"
    edited = http.get(caldav_server.calendar_url + name).text.replace("Grand rounds", "Edited elsewhere")
    assert http.put(caldav_server.calendar_url + name, data=edited.encode(),
                    headers={"Content-Type": "text/calendar"}).status_code in (200, 201, 204)
    sessions.change("session", one_off, title="Grand rounds, new title")
    report = work(runner)
    assert report["conflicts"] == 1 and report["failed"] == 0
    assert holds_exactly_doc_box(caldav_server, sessions)
    shown = status(client, target)
    assert shown["conflicts"] == 1
    assert shown["recent_conflicts"][0] | {"detected_at": None} == {
        "entry_kind": "session", "entry_id": one_off["id"], "kind": "modified", "detected_at": None}


def test_remote_edit_and_delete_are_repaired_even_without_a_change(client, runner, sessions, caldav_server,
                                                                    clock):
    program, series, one_off = build(sessions)
    target = register(client, caldav_server, [program])
    work(runner)
    http = caldav_server.http()
    assert http.delete(caldav_server.calendar_url + f"docbox-series-{series['id']}.ics").status_code in (200, 204)
    name = f"docbox-session-{one_off['id']}.ics"
    edited = http.get(caldav_server.calendar_url + name).text.replace("Grand rounds", "Edited elsewhere")
    http.put(caldav_server.calendar_url + name, data=edited.encode(), headers={"Content-Type": "text/calendar"})
    clock.advance(hours=2)  # the reconciliation interval has passed
    report = work(runner)
    assert report["conflicts"] == 2 and report["pushed"] == 2
    assert holds_exactly_doc_box(caldav_server, sessions)
    assert sorted(c["kind"] for c in status(client, target)["recent_conflicts"]) == ["deleted", "modified"]


def test_remote_delete_then_change_recreates_the_entry(client, runner, sessions, caldav_server):
    program, series, one_off = build(sessions)
    register(client, caldav_server, [program])
    work(runner)
    caldav_server.http().delete(caldav_server.calendar_url + f"docbox-series-{series['id']}.ics")
    sessions.change("series", series, title="Changed after the remote delete")
    report = work(runner)
    assert report["conflicts"] == 1 and report["failed"] == 0
    assert holds_exactly_doc_box(caldav_server, sessions)


def test_entry_leaving_the_targets_programs_is_deleted_remotely(client, runner, sessions, caldav_server):
    program, series, one_off = build(sessions)
    other = sessions.program(name="Not pushed")
    register(client, caldav_server, [program])
    work(runner)
    sessions.change("session", one_off, program_id=other["id"])
    assert work(runner)["requests"] == 1
    assert holds_exactly_doc_box(caldav_server, sessions, programs=[program])
    assert len(caldav_server.objects()) == 1


def test_server_down_changes_pile_up_and_all_arrive_after_restart(client, runner, sessions, caldav_server, clock):
    program, series, one_off = build(sessions)
    target = register(client, caldav_server, [program])
    work(runner)
    caldav_server.stop()
    series = sessions.exception(series, date(2026, 3, 10), status="cancelled")
    series = sessions.exception(series, date(2026, 3, 24), start=datetime(2026, 3, 25, 17, tzinfo=UTC),
                                end=datetime(2026, 3, 25, 18, tzinfo=UTC))
    sessions.change("session", one_off, title="Changed while the server was down")
    sessions.session(program, "Created while the server was down", datetime(2026, 4, 1, 9, tzinfo=UTC),
                     datetime(2026, 4, 1, 10, tzinfo=UTC))
    report = work(runner)
    assert report["failed"] >= 1 and report["pushed"] == 0
    shown = status(client, target)
    assert shown["pending_changes"] == 3 and shown["last_error"] and shown["retry_at"]
    assert work(runner)["requests"] == 0  # backing off: nothing sent before retry_at
    caldav_server.start()
    clock.advance(hours=2)
    report = work(runner)
    assert report["failed"] == 0 and report["pushed"] == 3
    assert holds_exactly_doc_box(caldav_server, sessions)
    assert status(client, target)["pending_changes"] == 0


# --- the API: admin only, password never shown, encrypted, rotatable ---------------------

def test_targets_are_admin_only(client, sessions, radicale):
    program = sessions.program()
    body = {"name": "x", "server_url": radicale.base, "calendar_url": radicale.calendar_url,
            "username": "u", "password": "p", "programs": [program["id"]]}
    assert client.post("/api/v1/caldav-targets", json=body).status_code == 401
    assert client.post("/api/v1/caldav-targets", json=body, headers=ORGANIZER).status_code == 403
    assert client.get("/api/v1/caldav-targets", headers=ORGANIZER).status_code == 403
    bad = client.post("/api/v1/caldav-targets", json={**body, "calendar_url": "ftp://x"}, headers=ADMIN)
    assert bad.status_code == 422 and "calendar_url" in bad.get_json()["errors"]


def test_password_is_never_returned_and_stored_encrypted(app, client, sessions, radicale):
    program = sessions.program()
    target = register(client, radicale, [program])
    listed = client.get("/api/v1/caldav-targets", headers=ADMIN)
    for text in (str(target), listed.get_data(as_text=True)):
        assert radicale.password not in text and "password" not in text
    with app.app_context():
        stored = db.session.get(CaldavTarget, target["id"]).password_encrypted
    assert radicale.password.encode() not in bytes(stored)


def test_wrong_password_is_reported_and_fixing_it_delivers(client, runner, sessions, radicale):
    program, series, one_off = build(sessions)
    target = register(client, radicale, [program], password="wrong-password")
    assert work(runner)["pushed"] == 0
    shown = status(client, target)
    assert "401" in shown["last_error"] and shown["pending_changes"] == 2
    fixed = client.patch(f"/api/v1/caldav-targets/{target['id']}", headers=ADMIN,
                         json={"password": radicale.password})
    assert fixed.status_code == 200
    assert work(runner)["pushed"] == 2
    assert holds_exactly_doc_box(radicale, sessions)


def test_rotated_key_still_opens_passwords_after_the_old_key_is_dropped(app, client, runner, sessions, radicale):
    from cryptography.fernet import Fernet

    program, series, one_off = build(sessions)
    register(client, radicale, [program])
    old, new = app.config["SECRET_KEYS"][0], Fernet.generate_key().decode()
    app.config["SECRET_KEYS"] = [new, old]
    result = runner.invoke(args=["rotate-secrets"])
    assert result.exit_code == 0 and "1 password" in result.output
    app.config["SECRET_KEYS"] = [new]
    assert work(runner)["pushed"] == 2
    assert holds_exactly_doc_box(radicale, sessions)


def test_metrics_show_pending_pushes_and_failing_targets(client, runner, sessions, radicale):
    program, series, one_off = build(sessions)
    register(client, radicale, [program], password="wrong-password")
    work(runner)
    text = client.get("/metrics").get_data(as_text=True)
    assert "docbox_caldav_pending_pushes 2.0" in text
    assert "docbox_caldav_failing_targets 1.0" in text


def test_upgrading_to_render_version_4_writes_every_object_once_more(app, client, runner, sessions, caldav_server):
    # Objects pushed before render version 4 left a monthly rule's day to DTSTART, which ical.js rolls over
    # into the next month; migration 0006 marks every object due so the worker replaces each once.
    import flask_migrate
    program = sessions.program(name="Peer support")
    sessions.series(program, "Month's end check-in", datetime(2026, 1, 31, 18, 0), "FREQ=MONTHLY;COUNT=12")
    sessions.session(program, "Grand rounds", datetime(2026, 3, 5, 17, tzinfo=UTC), datetime(2026, 3, 5, 18, tzinfo=UTC))
    register(client, caldav_server, [program])
    assert work(runner)["pushed"] == 2
    with app.app_context():
        flask_migrate.downgrade(revision="0005")
        flask_migrate.upgrade()
    report = work(runner)
    assert report | {"requests": None} == {"pushed": 2, "failed": 0, "conflicts": 0, "requests": None}
    assert report["requests"] <= 3  # one write each (Xandikos may answer one 423 and take it again)
    assert holds_exactly_doc_box(caldav_server, sessions)
    assert all("BYMONTHDAY=31" in text for text in caldav_server.objects().values() if "FREQ=MONTHLY" in text)
    assert work(runner)["requests"] == 0
