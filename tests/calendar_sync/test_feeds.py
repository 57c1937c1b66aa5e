"""Feeds: capability URLs, their content, and conditional GETs."""

import logging
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import icalendar
import pytest

from .conftest import ADMIN, ORGANIZER

UTC = timezone.utc
BERLIN = "Europe/Berlin"


def path_of(url: str) -> str:
    return url.split("https://calendar.example.org", 1)[1]


def new_feed(client, programs, headers=None, **options):
    answer = client.post("/api/v1/feeds", json={"programs": [p["id"] for p in programs], **options},
                         headers=headers or {})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def events_of(body: bytes) -> list:
    return [c for c in icalendar.Calendar.from_ical(body).walk("VEVENT")]


# --- creating, rotating, revoking ------------------------------------------------

def test_open_program_feed_needs_no_account_and_gives_https_and_webcal_urls(client, sessions):
    program = sessions.program(open=True)
    feed = new_feed(client, [program])
    assert feed["url"].startswith("https://calendar.example.org/feeds/") and feed["url"].endswith(".ics")
    assert feed["webcal_url"] == "webcal://" + feed["url"][len("https://"):]
    token = feed["url"].rsplit("/", 1)[1][:-4]
    assert len(token) >= 22  # >= 128 bits in URL-safe base64
    answer = client.get(path_of(feed["url"]))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"


def test_feed_of_closed_program_needs_a_staff_token(client, sessions, staff_server):
    closed = sessions.program(name="Residents only", open=False)
    refused = client.post("/api/v1/feeds", json={"programs": [closed["id"]]})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    wrong = client.post("/api/v1/feeds", json={"programs": [closed["id"]]},
                        headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401
    feed = new_feed(client, [closed], headers=ORGANIZER)
    assert client.get(path_of(feed["url"])).status_code == 200


def test_without_a_token_a_closed_program_is_answered_exactly_like_an_unknown_one(client, sessions):
    sessions.program(name="Residents only", slug="residents", open=False)
    sessions.program(name="Evening circle", slug="evening-circle", open=True)
    closed = client.post("/api/v1/feeds", json={"programs": ["evening-circle", "residents"]})
    unknown = client.post("/api/v1/feeds", json={"programs": ["evening-circle", "nonexistent"]})
    assert closed.status_code == unknown.status_code == 422
    assert closed.headers["Content-Type"] == unknown.headers["Content-Type"]
    assert closed.get_json() == {**unknown.get_json(), "errors": {"programs": ["unknown program: residents"]}}
    assert unknown.get_json()["errors"] == {"programs": ["unknown program: nonexistent"]}


def test_closed_program_feed_answers_503_while_sessions_is_down_and_feeds_keep_working(client, sessions,
                                                                                       staff_server):
    open_program = sessions.program(name="Open", open=True)
    closed = sessions.program(name="Closed", open=False)
    feed = new_feed(client, [open_program])
    staff_server.stop()
    answer = client.post("/api/v1/feeds", json={"programs": [closed["id"]]}, headers=ORGANIZER)
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    assert client.get(path_of(feed["url"])).status_code == 200
    assert new_feed(client, [open_program])["url"] != feed["url"]


def test_a_staff_request_while_sessions_is_down_says_when_to_retry_in_a_retry_after_header(client, sessions,
                                                                                          staff_server):
    closed = sessions.program(name="Closed", open=False)
    staff_server.stop()
    answer = client.post("/api/v1/feeds", json={"programs": [closed["id"]]}, headers=ORGANIZER)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"


def test_programs_may_be_named_by_slug(client, sessions):
    program = sessions.program(name="Night shift", slug="night-shift")
    answer = client.post("/api/v1/feeds", json={"programs": ["night-shift"]})
    assert answer.status_code == 201 and answer.get_json()["programs"] == [program["id"]]


@pytest.mark.parametrize("body, field", [
    ({"programs": []}, "programs"),
    ({"programs": ["no-such-program"]}, "programs"),
    ({"programs": ["PROGRAM"], "alarm_minutes_before": -5}, "alarm_minutes_before"),
    ({"programs": ["PROGRAM"], "hide_cancelled": "perhaps"}, "hide_cancelled"),
    ({"programs": ["PROGRAM"], "email": "someone@example.org"}, "email"),
])
def test_bad_feed_request_gets_problem_naming_the_field(client, sessions, body, field):
    program = sessions.program()
    body = {k: ([program["id"] if p == "PROGRAM" else p for p in v] if k == "programs" else v)
            for k, v in body.items()}
    answer = client.post("/api/v1/feeds", json=body)
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert field in answer.get_json()["errors"]


def test_non_json_body_gets_415(client):
    answer = client.post("/api/v1/feeds", data="programs=x", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415 and answer.mimetype == "application/problem+json"


def test_revoked_feed_answers_404_at_once(client, sessions):
    feed = new_feed(client, [sessions.program()])
    token = feed["url"].rsplit("/", 1)[1][:-4]
    assert client.post("/api/v1/feeds/revoke", json={"token": token}).status_code == 204
    answer = client.get(path_of(feed["url"]))
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert client.post("/api/v1/feeds/revoke", json={"token": token}).status_code == 404


def test_rotating_gives_a_new_url_and_kills_the_old(client, sessions):
    feed = new_feed(client, [sessions.program()])
    token = feed["url"].rsplit("/", 1)[1][:-4]
    answer = client.post("/api/v1/feeds/rotate", json={"token": token})
    assert answer.status_code == 201
    rotated = answer.get_json()
    assert rotated["url"] != feed["url"] and rotated["id"] == feed["id"]
    assert client.get(path_of(feed["url"])).status_code == 404
    assert client.get(path_of(rotated["url"])).status_code == 200


def test_admin_revokes_a_feed_by_id_others_cannot(client, sessions):
    feed = new_feed(client, [sessions.program()])
    assert client.delete(f"/api/v1/feeds/{feed['id']}", headers=ORGANIZER).status_code == 403
    assert client.delete(f"/api/v1/feeds/{feed['id']}", headers=ADMIN).status_code == 204
    assert client.get(path_of(feed["url"])).status_code == 404


def test_feed_token_never_reaches_the_logs(client, sessions, caplog):
    caplog.set_level(logging.DEBUG)
    feed = new_feed(client, [sessions.program()])
    token = feed["url"].rsplit("/", 1)[1][:-4]
    client.get(path_of(feed["url"]))
    client.post("/api/v1/feeds/rotate", json={"token": token})
    assert token not in caplog.text
    assert any(getattr(r, "route", None) == "/feeds/<token>.ics" for r in caplog.records)


# --- content ---------------------------------------------------------------------------

@pytest.fixture
def calendar(sessions):
    """A program with a one-off session and a weekly series with a moved and a cancelled occurrence."""
    program = sessions.program(name="Peer support")
    one_off = sessions.session(program, "Grand rounds; debrief", datetime(2026, 3, 5, 17, tzinfo=UTC),
                               datetime(2026, 3, 5, 18, tzinfo=UTC), video_url="https://video.example.org/r1",
                               description="Bring questions")
    series = sessions.series(program, "Evening circle", datetime(2026, 3, 3, 19, 0), "FREQ=WEEKLY;COUNT=5")
    series = sessions.exception(series, date(2026, 3, 10), status="cancelled")
    series = sessions.exception(series, date(2026, 3, 17), start=datetime(2026, 3, 18, 19, tzinfo=UTC) + timedelta(hours=-1),
                                end=datetime(2026, 3, 18, 19, tzinfo=UTC), location="Room 9")
    return {"program": program, "session": one_off, "series": series}


def test_feed_has_one_vevent_per_session_and_rrule_with_overrides_per_series(client, sessions, calendar):
    feed = new_feed(client, [calendar["program"]])
    body = client.get(path_of(feed["url"])).data
    cal = icalendar.Calendar.from_ical(body)
    assert cal["X-WR-CALNAME"] == "Doc Box: Peer support"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body.decode() and "X-PUBLISHED-TTL:PT1H" in body.decode()
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == [BERLIN]
    events = events_of(body)
    by_uid = {}
    for event in events:
        by_uid.setdefault(str(event["UID"]), []).append(event)
    assert set(by_uid) == {f"docbox-session-{calendar['session']['id']}", f"docbox-series-{calendar['series']['id']}"}
    assert all("/" not in uid for uid in by_uid)
    one_off = by_uid[f"docbox-session-{calendar['session']['id']}"][0]
    assert str(one_off["SUMMARY"]) == "Grand rounds; debrief"
    assert one_off.decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 5, 17, tzinfo=UTC)
    assert one_off.decoded("DTSTART").replace(tzinfo=None) == datetime(2026, 3, 5, 18)  # Berlin wall time
    assert str(one_off["DTSTART"].params["TZID"]) == BERLIN
    assert str(one_off["URL"]) == "https://video.example.org/r1"
    assert "https://video.example.org/r1" in str(one_off["DESCRIPTION"])
    assert one_off["CATEGORIES"].cats == ["Peer support"]
    assert "DTSTAMP" in one_off and "LAST-MODIFIED" in one_off
    master, *overrides = by_uid[f"docbox-series-{calendar['series']['id']}"]
    assert str(master["RRULE"].to_ical().decode()) == "FREQ=WEEKLY;COUNT=5"
    moved = {o.decoded("RECURRENCE-ID").date(): o for o in overrides}
    assert set(moved) == {date(2026, 3, 10), date(2026, 3, 17)}
    assert str(moved[date(2026, 3, 10)]["STATUS"]) == "CANCELLED"
    assert str(moved[date(2026, 3, 10)]["SUMMARY"]) == "Cancelled: Evening circle"
    assert moved[date(2026, 3, 17)].decoded("DTSTART").astimezone(UTC) == datetime(2026, 3, 18, 18, tzinfo=UTC)
    assert str(moved[date(2026, 3, 17)]["LOCATION"]) == "Room 9"
    for event in events:
        assert "ATTENDEE" not in event and "ORGANIZER" not in event
    assert b"@" not in body.replace(b"https://", b"")


def test_hidden_cancellations_become_exdates(client, calendar, sessions):
    sessions.change("session", calendar["session"], status="cancelled")
    feed = new_feed(client, [calendar["program"]], hide_cancelled=True, alarm_minutes_before=30)
    events = events_of(client.get(path_of(feed["url"])).data)
    assert [str(e["UID"]) for e in events if "RECURRENCE-ID" not in e] == [f"docbox-series-{calendar['series']['id']}"]
    master = events[0]
    assert [d.dt.date() for d in master["EXDATE"].dts] == [date(2026, 3, 10)]
    assert all(e.get("STATUS") != "CANCELLED" for e in events)
    alarm = master.walk("VALARM")[0]
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-30)


def test_shown_cancellation_keeps_the_session_as_cancelled(client, calendar, sessions):
    sessions.change("session", calendar["session"], status="cancelled")
    feed = new_feed(client, [calendar["program"]])
    one_off = [e for e in events_of(client.get(path_of(feed["url"])).data)
               if str(e["UID"]).startswith("docbox-session-")][0]
    assert str(one_off["STATUS"]) == "CANCELLED"
    assert str(one_off["SUMMARY"]) == "Cancelled: Grand rounds; debrief"


def test_sequence_grows_on_each_change(client, calendar, sessions):
    feed = new_feed(client, [calendar["program"]])

    def sequence():
        events = events_of(client.get(path_of(feed["url"])).data)
        return [int(e["SEQUENCE"]) for e in events if str(e["UID"]).startswith("docbox-session-")][0]

    first = sequence()
    sessions.change("session", calendar["session"], title="Grand rounds, moved")
    second = sequence()
    sessions.deliver("session", {**calendar["session"], "title": "old"}, version=1)  # stale, ignored
    assert first < second == sequence()


# --- HTTP caching --------------------------------------------------------------------

def test_if_none_match_gives_304_until_the_calendar_changes(client, calendar, sessions):
    feed = new_feed(client, [calendar["program"]])
    first = client.get(path_of(feed["url"]))
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = client.get(path_of(feed["url"]), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(path_of(feed["url"]), headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path_of(feed["url"]), headers={"If-None-Match": '"other"'}).status_code == 200
    sessions.change("session", calendar["session"], title="Changed title")
    changed = client.get(path_of(feed["url"]), headers={"If-None-Match": etag})
    assert changed.status_code == 200 and b"Changed title" in changed.data
    assert changed.headers["ETag"] != etag


def test_same_etag_means_same_bytes(client, calendar):
    feed = new_feed(client, [calendar["program"]])
    one, two = client.get(path_of(feed["url"])), client.get(path_of(feed["url"]))
    assert one.headers["ETag"] == two.headers["ETag"] and one.data == two.data


def test_if_modified_since_is_compared_as_a_date(client, calendar, sessions, clock):
    feed = new_feed(client, [calendar["program"]])
    first = client.get(path_of(feed["url"]))
    last_modified = parsedate_to_datetime(first.headers["Last-Modified"])
    same = client.get(path_of(feed["url"]), headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert same.status_code == 304
    later = format_datetime(last_modified + timedelta(hours=1), usegmt=True)
    assert client.get(path_of(feed["url"]), headers={"If-Modified-Since": later}).status_code == 304
    earlier = format_datetime(last_modified - timedelta(seconds=1), usegmt=True)
    assert client.get(path_of(feed["url"]), headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(path_of(feed["url"]), headers={"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match wins over If-Modified-Since.
    assert client.get(path_of(feed["url"]), headers={"If-None-Match": '"x"', "If-Modified-Since": later}
                      ).status_code == 200


def test_change_in_the_same_second_still_moves_last_modified(client, calendar, sessions):
    feed = new_feed(client, [calendar["program"]])
    first = client.get(path_of(feed["url"]))
    sessions.change("session", calendar["session"], title="Within the same second")  # the clock stands still
    answer = client.get(path_of(feed["url"]), headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert answer.status_code == 200 and b"Within the same second" in answer.data
    assert parsedate_to_datetime(answer.headers["Last-Modified"]) > parsedate_to_datetime(first.headers["Last-Modified"])


def test_entry_leaving_the_feed_moves_last_modified_forward(client, calendar, sessions, clock):
    other = sessions.program(name="Other program")
    feed = new_feed(client, [calendar["program"]])
    first = client.get(path_of(feed["url"]))
    clock.advance(minutes=5)
    sessions.change("session", calendar["session"], program_id=other["id"])
    answer = client.get(path_of(feed["url"]), headers={"If-Modified-Since": first.headers["Last-Modified"],
                                                       "If-None-Match": first.headers["ETag"]})
    assert answer.status_code == 200
    assert calendar["session"]["id"] not in answer.get_data(as_text=True)
    assert parsedate_to_datetime(answer.headers["Last-Modified"]) > parsedate_to_datetime(first.headers["Last-Modified"])


def test_head_answers_like_get_without_body(client, calendar):
    feed = new_feed(client, [calendar["program"]])
    head = client.head(path_of(feed["url"]))
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == client.get(path_of(feed["url"])).headers["ETag"]


def test_uid_is_safe_for_every_server_whatever_the_entry_id(client, sessions):
    program = sessions.program()
    odd = sessions.session(program, "Odd id", datetime(2026, 3, 5, 17, tzinfo=UTC), datetime(2026, 3, 5, 18, tzinfo=UTC),
                           entry_id="a/b c@d")
    feed = new_feed(client, [program])
    uids = [str(e["UID"]) for e in events_of(client.get(path_of(feed["url"])).data)]
    assert uids == ["docbox-session-a~2Fb~20c~40d"]
    assert odd["id"] == "a/b c@d"


def test_closing_a_program_empties_it_from_anonymous_feeds_but_not_from_staff_feeds(client, sessions,
                                                                                        staff_server):
    program = sessions.program(name="Evening circle", open=True)
    sessions.session(program, "Circle", datetime(2027, 3, 3, 18, tzinfo=UTC), datetime(2027, 3, 3, 19, tzinfo=UTC))
    anonymous = new_feed(client, [program])
    staff = new_feed(client, [program], headers=ORGANIZER)
    before = client.get(path_of(anonymous["url"]))
    assert [str(e["summary"]) for e in events_of(before.data)] == ["Circle"]

    sessions.deliver("program", {**program, "open": False})          # the organizer closes it
    after = client.get(path_of(anonymous["url"]), headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and events_of(after.data) == []  # calendar clients remove the sessions
    assert [str(e["summary"]) for e in events_of(client.get(path_of(staff["url"])).data)] == ["Circle"]

    sessions.deliver("program", {**program, "open": True})           # reopened: back in the same feed
    assert [str(e["summary"]) for e in events_of(client.get(path_of(anonymous["url"])).data)] == ["Circle"]
